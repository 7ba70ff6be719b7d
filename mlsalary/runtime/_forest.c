/* The forest evaluator in C: the optional fast path of runtime/forest.py.
 *
 * It walks the same tables as the numpy walk (format version 2, built by runtime/compile.py):
 * for a row and a tree, start at the tree's root; while the node is not a leaf, read the bin
 * of the row in the node's column and step ahead by the table's entry for that bin. Each
 * model's sum is baseline + tree 0 + tree 1 + ..., in that order, as scikit-learn adds them,
 * so the results are bit-identical to the numpy methods.
 *
 * Built by setup.py where a C compiler is found, skipped where not (forest.py then uses
 * numpy). Plain C over the buffer protocol: no numpy headers, no dependency.
 *
 * Trust: node_info and table are the arrays Forest checked when the model was loaded (every
 * offset and step in range, children after their parent, leaves in the last column). What
 * varies per call is checked here: every bin below its column's number of bins, every root a
 * node, the spans within the roots, and all sizes. The GIL is released while the trees are
 * walked, so threads can share a batch.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Rows walked through one tree before the next tree: their bins stay in the L1 cache while
 * the tree's nodes and table do too. */
#define BLOCK 64
/* Rows walked through a tree together: their steps do not wait for one another, so the
 * processor overlaps their memory reads. A finished walk (a leaf) steps to itself; every
 * STEPS steps, the finished ones are dropped from the group, so the group does not wait for
 * its deepest walk and nothing branches on one walk's end. */
#define LANES 16
#define STEPS 3

/* A C-contiguous buffer of `ndim` dimensions whose items are `size` bytes and whose format
 * is one of `kinds` (native byte order); -1 with an exception set if not. */
static int
get_buffer(PyObject *obj, Py_buffer *view, const char *name, const char *kinds, Py_ssize_t size, int ndim, int writable)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return -1;
    const char *format = view->format ? view->format : "B";
    if (format[0] == '@' || format[0] == '=')
        format++;
    if (view->itemsize != size || view->ndim != ndim || format[0] == '\0' || format[1] != '\0' || !strchr(kinds, format[0])) {
        PyErr_Format(PyExc_ValueError, "%s: expected a %d-dimensional array of %zd-byte items (%s), got format '%s'", name, ndim, size, kinds,
                     view->format ? view->format : "B");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Each of `n` objects as the buffer get_buffer describes by names..dims[i] (the last one
 * writable: the output); the number of buffers held (n when all are, with an exception set
 * when fewer). */
static int
get_buffers(PyObject **objects, Py_buffer *views, int n, const char **names, const char **kinds, const Py_ssize_t *sizes, const int *dims)
{
    for (int held = 0; held < n; held++) {
        if (get_buffer(objects[held], &views[held], names[held], kinds[held], sizes[held], dims[held], held == n - 1) < 0)
            return held;
    }
    return n;
}

/* Whether bounds[0..count] are ranges of 0..limit: each inside, none before the one before. */
static int
ranges_of(const int32_t *bounds, Py_ssize_t count, Py_ssize_t limit)
{
    for (Py_ssize_t j = 0; j <= count; j++) {
        if (bounds[j] < 0 || bounds[j] > limit || (j > 0 && bounds[j] < bounds[j - 1]))
            return 0;
    }
    return 1;
}

/* Whether every row's bin is below its column's number of bins; a ValueError naming the first
 * that is not (`function` names the caller) if not. */
static int
bins_in_range(const uint16_t *bins, Py_ssize_t n_rows, Py_ssize_t width, const int32_t *n_bins, const char *function)
{
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        const uint16_t *row = bins + r * width;
        for (Py_ssize_t c = 0; c < width; c++) {
            if (row[c] >= n_bins[c]) {
                PyErr_Format(PyExc_ValueError, "%s: row %zd has bin %d in column %zd, which has %d", function, r, (int)row[c], c, (int)n_bins[c]);
                return 0;
            }
        }
    }
    return 1;
}

/* The node tables last found sound (see check_nodes), held so that their memory stays theirs:
   a forest is checked on its first evaluation, not on every block of rows. */
static PyObject *checked_objects[3];
static const void *checked_buffers[3];
static Py_ssize_t checked_sizes[3];

/* Whether every walk through these tables stays inside them and ends: each node's column is a
   row's and its table entries (one per bin of the column) lie inside the table; a leaf's one
   step is 0 (it stays), every other step goes ahead to a node that exists. The walk below
   relies on this and checks nothing itself. */
static int
check_nodes(const int32_t *n_bins, Py_ssize_t width, const int32_t *node_info, Py_ssize_t n_nodes, const uint8_t *table, Py_ssize_t table_size)
{
    const int32_t leaf = (int32_t)(width - 1);
    for (Py_ssize_t i = 0; i < n_nodes; i++) {
        const int32_t column = node_info[i] & 255, offset = node_info[i] >> 8;
        if (column >= width || offset < 0 || n_bins[column] < 1 || (Py_ssize_t)offset + n_bins[column] > table_size)
            return 0;
        for (int32_t b = 0; b < n_bins[column]; b++) {
            const uint8_t step = table[offset + b];
            if (column == leaf ? step != 0 : (step == 0 || i + step >= n_nodes))
                return 0;
        }
    }
    return 1;
}

static int
known_sound(Py_buffer *views[3])
{
    for (int k = 0; k < 3; k++) {
        if (views[k]->obj != checked_objects[k] || views[k]->buf != checked_buffers[k] || views[k]->len != checked_sizes[k])
            return 0;
    }
    return 1;
}

static void
remember_sound(Py_buffer *views[3])
{
    for (int k = 0; k < 3; k++) {
        Py_XINCREF(views[k]->obj);
        Py_XSETREF(checked_objects[k], views[k]->obj);
        checked_buffers[k] = views[k]->buf;
        checked_sizes[k] = views[k]->len;
    }
}

static void
walk(const uint16_t *bins, Py_ssize_t n_rows, Py_ssize_t width, const int32_t *node_info, const uint8_t *table, const double *value,
     const int32_t *roots, const int32_t *spans, Py_ssize_t n_out, const double *baseline, double *out)
{
    const int32_t leaf = (int32_t)(width - 1);
    double total[BLOCK];
    int32_t node[LANES];
    const uint16_t *row[LANES];
    int alive[LANES];
    for (Py_ssize_t start = 0; start < n_rows; start += BLOCK) {
        const Py_ssize_t m = n_rows - start < BLOCK ? n_rows - start : BLOCK;
        const uint16_t *block = bins + start * width;
        for (Py_ssize_t j = 0; j < n_out; j++) {
            for (Py_ssize_t i = 0; i < m; i++)
                total[i] = baseline[j];
            for (int32_t t = spans[j]; t < spans[j + 1]; t++) {
                for (Py_ssize_t i = 0; i < m; i += LANES) {
                    const int lanes = m - i < LANES ? (int)(m - i) : LANES;
                    for (int l = 0; l < lanes; l++) {
                        node[l] = roots[t];
                        row[l] = block + (i + l) * width;
                        alive[l] = l;
                    }
                    for (int n_alive = lanes; n_alive > 0;) {
                        for (int s = 0; s < STEPS; s++) {
                            for (int k = 0; k < n_alive; k++) {
                                const int l = alive[k];
                                const int32_t info = node_info[node[l]];
                                node[l] += table[(info >> 8) + row[l][info & 255]];
                            }
                        }
                        int still = 0;
                        for (int k = 0; k < n_alive; k++) {
                            const int l = alive[k];
                            alive[still] = l;
                            still += (node_info[node[l]] & 255) != leaf;
                        }
                        n_alive = still;
                    }
                    for (int l = 0; l < lanes; l++)
                        total[i + l] += value[node[l]];
                }
            }
            for (Py_ssize_t i = 0; i < m; i++)
                out[(start + i) * n_out + j] = total[i];
        }
    }
}

PyDoc_STRVAR(evaluate_doc,
"evaluate(bins, n_bins, node_info, table, value, roots, spans, baseline, out)\n\n"
"Raw predictions of binned rows into out (rows x models, float64): out[r, j] = baseline[j]\n"
"+ the leaf values of trees roots[spans[j]:spans[j + 1]] for row r. bins: uint16, rows x\n"
"columns (the last column 0: the leaves'); n_bins: int32 per column; node_info: int32 per\n"
"node; table: uint8; value: float64 per node; roots, spans: int32; baseline: float64.\n"
"Every input is checked here (sizes, bins, each node's table range and steps), so no\n"
"forest makes the walk read outside its arrays or loop: a ValueError instead. The node\n"
"tables are checked once, on their first evaluation.");

static PyObject *
evaluate(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *objects[9];
    Py_buffer views[9];
    int held = 0;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOOOOO:evaluate", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4], &objects[5], &objects[6],
                          &objects[7], &objects[8]))
        return NULL;
    static const char *names[9] = {"bins", "n_bins", "node_info", "table", "value", "roots", "spans", "baseline", "out"};
    static const char *kinds[9] = {"H", "il", "il", "B", "d", "il", "il", "d", "d"};
    static const Py_ssize_t sizes[9] = {2, 4, 4, 1, 8, 4, 4, 8, 8};
    static const int dims[9] = {2, 1, 1, 1, 1, 1, 1, 1, 2};
    if ((held = get_buffers(objects, views, 9, names, kinds, sizes, dims)) < 9)
        goto done;
    const uint16_t *bins = views[0].buf;
    const int32_t *n_bins = views[1].buf, *node_info = views[2].buf, *roots = views[5].buf, *spans = views[6].buf;
    const uint8_t *table = views[3].buf;
    const double *value = views[4].buf, *baseline = views[7].buf;
    double *out = views[8].buf;
    const Py_ssize_t n_rows = views[0].shape[0], width = views[0].shape[1];
    const Py_ssize_t n_nodes = views[2].shape[0], n_roots = views[5].shape[0], n_out = views[7].shape[0];
    if (width < 1 || views[1].shape[0] != width || views[4].shape[0] != n_nodes || views[6].shape[0] != n_out + 1 || views[8].shape[0] != n_rows ||
        views[8].shape[1] != n_out || n_bins[width - 1] != 1) {
        PyErr_SetString(PyExc_ValueError, "evaluate: the arrays' sizes do not agree");
        goto done;
    }
    for (Py_ssize_t t = 0; t < n_roots; t++) {
        if (roots[t] < 0 || roots[t] >= n_nodes) {
            PyErr_SetString(PyExc_ValueError, "evaluate: a root is not a node");
            goto done;
        }
    }
    if (!ranges_of(spans, n_out, n_roots)) {
        PyErr_SetString(PyExc_ValueError, "evaluate: the spans are not ranges of the roots");
        goto done;
    }
    Py_buffer *tables[3] = {&views[1], &views[2], &views[3]};
    if (!known_sound(tables)) {
        if (!check_nodes(n_bins, width, node_info, n_nodes, table, views[3].shape[0])) {
            PyErr_SetString(PyExc_ValueError, "evaluate: a walk through the nodes would leave them or never reach a leaf");
            goto done;
        }
        remember_sound(tables);
    }
    if (!bins_in_range(bins, n_rows, width, n_bins, "evaluate"))
        goto done;
    Py_BEGIN_ALLOW_THREADS
    walk(bins, n_rows, width, node_info, table, value, roots, spans, n_out, baseline, out);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    while (held > 0)
        PyBuffer_Release(&views[--held]);
    return result;
}

/* Rows of a block of the leaf-mask evaluator: their bins are copied column by column, so
 * each AND below reads one small contiguous run. */
#define MASK_BLOCK 256

static void
walk_masks(const uint16_t *bins, Py_ssize_t n_rows, Py_ssize_t width, const int32_t *used, Py_ssize_t n_used, const int32_t *starts,
           const int32_t *slots, const int32_t *offsets, const uint32_t *masks, const uint32_t *initial, const double *leaf_values,
           const int32_t *spans, Py_ssize_t n_out, const double *baseline, double *out, uint16_t *columns)
{
    double total[MASK_BLOCK];
    uint32_t acc[MASK_BLOCK];
    for (Py_ssize_t start = 0; start < n_rows; start += MASK_BLOCK) {
        const Py_ssize_t m = n_rows - start < MASK_BLOCK ? n_rows - start : MASK_BLOCK;
        for (Py_ssize_t c = 0; c < n_used; c++) {
            const uint16_t *from = bins + start * width + used[c];
            uint16_t *to = columns + c * MASK_BLOCK;
            for (Py_ssize_t i = 0; i < m; i++)
                to[i] = from[i * width];
        }
        for (Py_ssize_t j = 0; j < n_out; j++) {
            for (Py_ssize_t i = 0; i < m; i++)
                total[i] = baseline[j];
            for (int32_t t = spans[j]; t < spans[j + 1]; t++) {
                const uint32_t first = initial[t];
                for (Py_ssize_t i = 0; i < m; i++)
                    acc[i] = first;
                for (int32_t e = starts[t]; e < starts[t + 1]; e++) {
                    const uint32_t *mask = masks + offsets[e];
                    const uint16_t *column = columns + (Py_ssize_t)slots[e] * MASK_BLOCK;
                    for (Py_ssize_t i = 0; i < m; i++)
                        acc[i] &= mask[column[i]];
                }
                /* The exit leaf: the lowest leaf left. The last leaf's bit is or-ed in, so that
                 * a tree of fewer leaves never reads past its values (their masks keep it). */
                const double *values = leaf_values + (Py_ssize_t)t * 32;
                for (Py_ssize_t i = 0; i < m; i++)
                    total[i] += values[__builtin_ctz(acc[i] | 0x80000000u)];
            }
            for (Py_ssize_t i = 0; i < m; i++)
                out[(start + i) * n_out + j] = total[i];
        }
    }
}

PyDoc_STRVAR(evaluate_masks_doc,
"evaluate_masks(bins, n_bins, used, starts, slots, offsets, masks, initial, leaf_values, spans, baseline, out)\n\n"
"Raw predictions of binned rows into out (rows x models, float64) from leaf masks\n"
"(QuickScorer): tree t's leaves left for a row are initial[t] AND masks[offsets[e] + the\n"
"row's bin in column used[slots[e]]] for e in starts[t]:starts[t + 1]; its exit leaf is the\n"
"lowest left, whose value is leaf_values[t * 32 + leaf]. out[r, j] = baseline[j] + the values\n"
"of trees spans[j]:spans[j + 1], in order. bins: uint16, rows x columns; masks, initial:\n"
"uint32; n_bins, used, starts, slots, offsets, spans: int32; leaf_values, baseline: float64.\n"
"Every index is checked here (a ValueError instead of a read outside the arrays).");

static PyObject *
evaluate_masks(PyObject *Py_UNUSED(module), PyObject *args)
{
    enum { N = 12 };
    PyObject *objects[N];
    Py_buffer views[N];
    int held = 0;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOO:evaluate_masks", &objects[0], &objects[1], &objects[2], &objects[3], &objects[4], &objects[5],
                          &objects[6], &objects[7], &objects[8], &objects[9], &objects[10], &objects[11]))
        return NULL;
    static const char *names[N] = {"bins", "n_bins", "used", "starts", "slots", "offsets", "masks", "initial", "leaf_values", "spans", "baseline", "out"};
    static const char *kinds[N] = {"H", "il", "il", "il", "il", "il", "IL", "IL", "d", "il", "d", "d"};
    static const Py_ssize_t sizes[N] = {2, 4, 4, 4, 4, 4, 4, 4, 8, 4, 8, 8};
    static const int dims[N] = {2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2};
    if ((held = get_buffers(objects, views, N, names, kinds, sizes, dims)) < N)
        goto done;
    const uint16_t *bins = views[0].buf;
    const int32_t *n_bins = views[1].buf, *used = views[2].buf, *starts = views[3].buf, *slots = views[4].buf, *offsets = views[5].buf;
    const uint32_t *masks = views[6].buf, *initial = views[7].buf;
    const double *leaf_values = views[8].buf, *baseline = views[10].buf;
    const int32_t *spans = views[9].buf;
    double *out = views[11].buf;
    const Py_ssize_t n_rows = views[0].shape[0], width = views[0].shape[1], n_used = views[2].shape[0];
    const Py_ssize_t n_trees = views[7].shape[0], n_entries = views[4].shape[0], n_masks = views[6].shape[0], n_out = views[10].shape[0];
    if (views[1].shape[0] != width || views[3].shape[0] != n_trees + 1 || views[5].shape[0] != n_entries || views[8].shape[0] != n_trees * 32 ||
        views[9].shape[0] != n_out + 1 || views[11].shape[0] != n_rows || views[11].shape[1] != n_out) {
        PyErr_SetString(PyExc_ValueError, "evaluate_masks: the arrays' sizes do not agree");
        goto done;
    }
    for (Py_ssize_t c = 0; c < n_used; c++) {
        if (used[c] < 0 || used[c] >= width) {
            PyErr_SetString(PyExc_ValueError, "evaluate_masks: a used column is not a column");
            goto done;
        }
    }
    if (!ranges_of(starts, n_trees, n_entries) || starts[n_trees] != n_entries) {
        PyErr_SetString(PyExc_ValueError, "evaluate_masks: the starts are not ranges of the entries");
        goto done;
    }
    for (Py_ssize_t e = 0; e < n_entries; e++) {
        if (slots[e] < 0 || slots[e] >= n_used || offsets[e] < 0 || (Py_ssize_t)offsets[e] + n_bins[used[slots[e]]] > n_masks) {
            PyErr_SetString(PyExc_ValueError, "evaluate_masks: an entry's masks lie outside the masks");
            goto done;
        }
    }
    if (!ranges_of(spans, n_out, n_trees)) {
        PyErr_SetString(PyExc_ValueError, "evaluate_masks: the spans are not ranges of the trees");
        goto done;
    }
    if (!bins_in_range(bins, n_rows, width, n_bins, "evaluate_masks"))
        goto done;
    /* The block's bins, column by column (used's columns only). */
    uint16_t *columns = PyMem_RawMalloc(sizeof(uint16_t) * MASK_BLOCK * (n_used > 0 ? n_used : 1));
    if (columns == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    walk_masks(bins, n_rows, width, used, n_used, starts, slots, offsets, masks, initial, leaf_values, spans, n_out, baseline, out, columns);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(columns);
    result = Py_NewRef(Py_None);
done:
    while (held > 0)
        PyBuffer_Release(&views[--held]);
    return result;
}

static PyMethodDef methods[] = {
    {"evaluate", evaluate, METH_VARARGS, evaluate_doc},
    {"evaluate_masks", evaluate_masks, METH_VARARGS, evaluate_masks_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_forest", "The forest evaluator in C (see runtime/forest.py); optional.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__forest(void)
{
    return PyModule_Create(&module);
}
