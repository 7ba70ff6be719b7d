"""`mlsalary options` and `mlsalary info`: what the model accepts and what it rests on."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from mlsalary.factors import VALUE_FACTORS, lookup

from mlsalary.cli.app import (
    Command,
    ModelOption,
    _examples,
    app,
    get_env,
    handle_errors,
    output_options,
    write_data,
)

# -- know the inputs, trust the numbers ----------------------------------------------------------



@app.command(
    short_help="The accepted values of each factor, with their rows.",
    cls=Command,
    epilog=_examples("mlsalary options", "mlsalary options education", "mlsalary options role --json | jq 'keys'"),
)
@handle_errors
@output_options("json")
def options(
    factor: Annotated[Optional[str], typer.Argument(metavar="FACTOR", help="One of: " + ", ".join(VALUE_FACTORS) + ". Omit for a summary.")] = None,
    output: str = "table",
):
    """List the accepted values of each factor, with the training rows behind each and its aliases.

    Reads only the model's metadata: instant, no model loading.
    """
    from mlsalary import catalog
    from mlsalary.cli import render
    from mlsalary.runtime.format import read_metadata, shipped_model_dir

    metadata = read_metadata(shipped_model_dir())
    if factor is not None:
        factor = lookup(factor, field="FACTOR", among=VALUE_FACTORS)
    if factor == "location":
        data = catalog.location_options(shipped_model_dir())
    else:
        data = catalog.options(metadata, factor)
    env = get_env()
    if output == "json":
        write_data(data)
    else:
        env.console().print(render.options_renderable(data, factor))


@app.command(short_help="The model card: method, accuracy, sources and licences.", cls=Command, epilog=_examples("mlsalary info", "mlsalary info --json | jq .held_out"))
@handle_errors
@output_options("json")
def info(output: str = "table", model: ModelOption = None):
    """The model card: sources and licences, what is estimated, held-out accuracy, versions.

    Every figure comes from the model's metadata, written when the model was trained and
    evaluated on its held-out split (`mlsalary evaluate` reproduces them).
    """
    from mlsalary import catalog
    from mlsalary.cli import render
    from mlsalary.runtime.format import read_metadata, shipped_model_dir

    metadata = read_metadata(model if model is not None else shipped_model_dir())
    card = catalog.model_card(metadata)
    env = get_env()
    if output == "json":
        write_data(card)
    else:
        env.console().print(render.model_card_renderable(card))


