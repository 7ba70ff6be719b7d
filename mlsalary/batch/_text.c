/* Batch's per-row text work in C, the optional fast path of batch/: reading CSV lines (scan,
 * code_keys: readers.py's CsvInput, keys.py) and joining output rows (join_rows: engine.py,
 * writer.py). Each gives what the Python code it stands in for gives.
 *
 * scan() reads a block of a file's lines as CsvInput's Python loop and the csv module read
 * them, and gives each row's factor cells as codes: each cell's index among the distinct
 * cells its column has held (the `tables`: one code table and one list of cells per column,
 * kept by keys.CodedKeys, which decodes them). A row's key is its codes as the
 * bytes of int32s: hashing it costs a few bytes, not the row's text.
 *
 * Only lines whose reading is plain are read here; scan() stops at the first other one and
 * says where, and the Python reader takes the rest of the block (the csv module, which may
 * take further lines for a quoted line break). Plain is: no quote, and no CR, LF or NUL before
 * the line's end (split on commas, as the Python loop splits it); or cells that are each
 * unquoted without a quote or wholly quoted ("" for a quote inside), with no CR, LF or NUL
 * anywhere before the end (the csv module reads those as cut at a line end).
 *
 * join_rows() lays columns of text side by side, row by row, between constant pieces: what
 * map(str.format, ...) or "".join(...) of each row gives, without a format or a tuple per row.
 *
 * Built by setup.py where a C compiler is found, skipped where not (the reader then keeps the
 * cells' text as keys, and rows are formatted in Python). Plain C over the Python API.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* -- codes ------------------------------------------------------------------------------- */

/* A column's codes: a hash table in a bytearray (so that Python owns its memory) of Slots,
 * open addressing over a power-of-two count, at most half full; a slot's code indexes the
 * column's list of distinct cells (`values`), which holds the text the slot stands for. Cells
 * are hashed by their characters (whatever the width a str stores them in), so a cell is found
 * without making a str of it. */
typedef struct {
    uint64_t hash;
    int64_t code; /* -1: empty */
} Slot;

static uint64_t
hash_span(int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, over the code points */
    for (Py_ssize_t i = start; i < end; i++)
        h = (h ^ PyUnicode_READ(kind, data, i)) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

/* Whether str holds exactly the characters data[start:end] (of `kind`). */
static int
same_text(PyObject *str, int kind, const void *data, Py_ssize_t start, Py_ssize_t end)
{
    if (PyUnicode_GET_LENGTH(str) != end - start)
        return 0;
    int own = PyUnicode_KIND(str);
    const void *text = PyUnicode_DATA(str);
    if (own == kind)
        return memcmp(text, (const char *)data + start * kind, (size_t)((end - start) * kind)) == 0;
    for (Py_ssize_t i = 0; i < end - start; i++) {
        if (PyUnicode_READ(own, text, i) != PyUnicode_READ(kind, data, start + i))
            return 0;
    }
    return 1;
}

/* Makes room for one more slot (doubling the table and placing its slots again). */
static int
table_room(PyObject *table, Py_ssize_t used)
{
    Py_ssize_t capacity = PyByteArray_GET_SIZE(table) / (Py_ssize_t)sizeof(Slot);
    if (2 * (used + 1) <= capacity)
        return 0;
    Py_ssize_t grown = capacity ? 2 * capacity : 64;
    Slot *old = NULL;
    if (capacity) {
        old = PyMem_Malloc(capacity * sizeof(Slot));
        if (old == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(old, PyByteArray_AS_STRING(table), capacity * sizeof(Slot));
    }
    if (PyByteArray_Resize(table, grown * (Py_ssize_t)sizeof(Slot)) < 0) {
        PyMem_Free(old);
        return -1;
    }
    Slot *slots = (Slot *)PyByteArray_AS_STRING(table);
    memset(slots, 0xFF, grown * sizeof(Slot)); /* every code -1 */
    uint64_t mask = (uint64_t)grown - 1;
    for (Py_ssize_t i = 0; i < capacity; i++) {
        if (old[i].code < 0)
            continue;
        uint64_t at = old[i].hash & mask;
        while (slots[at].code >= 0)
            at = (at + 1) & mask;
        slots[at] = old[i];
    }
    PyMem_Free(old);
    return 0;
}

/* The code of the cell data[start:end] (of `kind`) in a column (its table and values); a new
 * one when the column has not held it: `cell` (a str of it, or NULL to make one from `line`)
 * appended to values. -1 with an exception set on failure or past INT32_MAX codes. */
static int32_t
code_of(PyObject *table, PyObject *values, int kind, const void *data, Py_ssize_t start, Py_ssize_t end, PyObject *cell, PyObject *line)
{
    Py_ssize_t used = PyList_GET_SIZE(values);
    if (table_room(table, used) < 0)
        return -1;
    Slot *slots = (Slot *)PyByteArray_AS_STRING(table);
    uint64_t mask = (uint64_t)(PyByteArray_GET_SIZE(table) / (Py_ssize_t)sizeof(Slot)) - 1;
    uint64_t hash = hash_span(kind, data, start, end), at = hash & mask;
    for (; slots[at].code >= 0; at = (at + 1) & mask) {
        if (slots[at].hash == hash && slots[at].code < used && same_text(PyList_GET_ITEM(values, slots[at].code), kind, data, start, end))
            return (int32_t)slots[at].code;
    }
    if (used >= INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "too many distinct cells in a column");
        return -1;
    }
    PyObject *text = cell != NULL ? Py_NewRef(cell) : PyUnicode_Substring(line, start, end);
    if (text == NULL)
        return -1;
    int failed = PyList_Append(values, text) < 0;
    Py_DECREF(text);
    if (failed)
        return -1;
    slots[at].hash = hash;
    slots[at].code = used;
    return (int32_t)used;
}

/* The code of a str in a column (see code_of). */
static int32_t
code_of_str(PyObject *table, PyObject *values, PyObject *cell)
{
    if (!PyUnicode_Check(cell)) {
        PyErr_SetString(PyExc_TypeError, "a cell must be a str");
        return -1;
    }
    return code_of(table, values, PyUnicode_KIND(cell), PyUnicode_DATA(cell), 0, PyUnicode_GET_LENGTH(cell), cell, NULL);
}

/* Whether tables and values are lists of `n` bytearrays (code tables, as CodedKeys makes them)
 * and `n` lists of str. */
static int
tables_ok(PyObject *tables, PyObject *values, Py_ssize_t n)
{
    if (!PyList_Check(tables) || !PyList_Check(values) || PyList_GET_SIZE(tables) != n || PyList_GET_SIZE(values) != n) {
        PyErr_SetString(PyExc_ValueError, "tables and values: expected one bytearray and one list per factor column");
        return 0;
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *table = PyList_GET_ITEM(tables, j);
        if (!PyByteArray_Check(table) || !PyList_Check(PyList_GET_ITEM(values, j)) || PyByteArray_GET_SIZE(table) % sizeof(Slot)) {
            PyErr_SetString(PyExc_ValueError, "tables and values: expected one bytearray and one list per factor column");
            return 0;
        }
        Py_ssize_t capacity = PyByteArray_GET_SIZE(table) / (Py_ssize_t)sizeof(Slot);
        if (capacity & (capacity - 1)) {
            PyErr_SetString(PyExc_ValueError, "tables: a table's size is not a power of two");
            return 0;
        }
    }
    return 1;
}

/* The cells of one line: where each starts and ends in the line, and whether it was quoted
 * with a doubled quote inside. Grown as lines need. */
typedef struct {
    Py_ssize_t *start, *end;
    char *escaped;
    Py_ssize_t size;
} Cells;

static int
cells_reserve(Cells *cells, Py_ssize_t n)
{
    if (n <= cells->size)
        return 0;
    Py_ssize_t size = cells->size ? cells->size : 64;
    while (size < n)
        size *= 2;
    Py_ssize_t *start = PyMem_Realloc(cells->start, size * sizeof(Py_ssize_t));
    if (start == NULL)
        return -1;
    cells->start = start;
    Py_ssize_t *end = PyMem_Realloc(cells->end, size * sizeof(Py_ssize_t));
    if (end == NULL)
        return -1;
    cells->end = end;
    char *escaped = PyMem_Realloc(cells->escaped, size);
    if (escaped == NULL)
        return -1;
    cells->escaped = escaped;
    cells->size = size;
    return 0;
}

static void
cells_free(Cells *cells)
{
    PyMem_Free(cells->start);
    PyMem_Free(cells->end);
    PyMem_Free(cells->escaped);
}

/* What a character is to the splitting: a separator, a quote, a line end or NUL (BREAK), or
 * anything else (0). */
enum { PLAIN = 0, COMMA, QUOTE, BREAK };

static inline int
role_of(Py_UCS4 c)
{
    return c == ',' ? COMMA : c == '"' ? QUOTE : (c == '\r' || c == '\n' || c == '\0') ? BREAK : PLAIN;
}

/* Splits line[0:end] into cells, in one pass over its characters (of one width: CHAR). 1:
 * plain (the count in *count, whether any quote in *quoted); 0: not plain (the Python reader
 * reads it); -1: out of memory. A CR, LF or NUL before the end is not plain: split on commas,
 * the Python loop keeps it in its cell, and the csv module ends a record there. */
#define SPLIT_LINE(NAME, CHAR)                                                                                 \
    static int NAME(const CHAR *s, Py_ssize_t end, Cells *cells, Py_ssize_t *count, int *quoted)           \
    {                                                                                                      \
        int any_quote = 0;                                                                                 \
        Py_ssize_t n = 0, pos = 0;                                                                         \
        for (;;) {                                                                                         \
            if (cells_reserve(cells, n + 1) < 0)                                                           \
                return -1;                                                                                 \
            cells->escaped[n] = 0;                                                                         \
            if (pos < end && s[pos] == '"') {                                                              \
                /* A quoted cell: up to the quote that is not doubled, then a comma or the end. */        \
                any_quote = 1;                                                                             \
                Py_ssize_t i = pos + 1;                                                                    \
                for (;;) {                                                                                 \
                    int role = PLAIN;                                                                      \
                    while (i < end && (role = role_of(s[i])) != QUOTE) {                                   \
                        if (role == BREAK)                                                                 \
                            return 0;                                                                      \
                        i++;                                                                               \
                    }                                                                                      \
                    if (i >= end)                                                                          \
                        return 0; /* not closed on this line */                                            \
                    if (i + 1 < end && s[i + 1] == '"') {                                                  \
                        cells->escaped[n] = 1;                                                             \
                        i += 2;                                                                            \
                        continue;                                                                          \
                    }                                                                                      \
                    break;                                                                                 \
                }                                                                                          \
                cells->start[n] = pos + 1;                                                                 \
                cells->end[n] = i;                                                                         \
                n++;                                                                                       \
                pos = i + 1;                                                                               \
                if (pos == end)                                                                            \
                    break;                                                                                 \
                if (s[pos] != ',')                                                                         \
                    return 0; /* text after the closing quote */                                           \
                pos++;                                                                                     \
            }                                                                                              \
            else {                                                                                         \
                Py_ssize_t i = pos;                                                                        \
                int role = PLAIN;                                                                          \
                while (i < end && (role = role_of(s[i])) == PLAIN)                                         \
                    i++;                                                                                   \
                if (role == QUOTE || role == BREAK)                                                        \
                    return 0; /* a quote inside an unquoted cell, or a line end */                         \
                cells->start[n] = pos;                                                                     \
                cells->end[n] = i;                                                                         \
                n++;                                                                                       \
                if (i == end)                                                                              \
                    break;                                                                                 \
                pos = i + 1;                                                                               \
            }                                                                                              \
        }                                                                                                  \
        *count = n;                                                                                        \
        *quoted = any_quote;                                                                               \
        return 1;                                                                                          \
    }

SPLIT_LINE(split_ucs1, Py_UCS1)
SPLIT_LINE(split_ucs2, Py_UCS2)
SPLIT_LINE(split_ucs4, Py_UCS4)

static int
split_line(int kind, const void *data, Py_ssize_t end, Cells *cells, Py_ssize_t *count, int *quoted)
{
    switch (kind) {
    case PyUnicode_1BYTE_KIND:
        return split_ucs1(data, end, cells, count, quoted);
    case PyUnicode_2BYTE_KIND:
        return split_ucs2(data, end, cells, count, quoted);
    default:
        return split_ucs4(data, end, cells, count, quoted);
    }
}

/* Cell i of `line` as a new str (a doubled quote made one). */
static PyObject *
cell_text(PyObject *line, const Cells *cells, Py_ssize_t i)
{
    PyObject *text = PyUnicode_Substring(line, cells->start[i], cells->end[i]);
    if (text == NULL || !cells->escaped[i])
        return text;
    static PyObject *doubled = NULL, *single = NULL;
    if (doubled == NULL && ((doubled = PyUnicode_FromString("\"\"")) == NULL || (single = PyUnicode_FromString("\"")) == NULL)) {
        Py_DECREF(text);
        return NULL;
    }
    PyObject *unescaped = PyUnicode_Replace(text, doubled, single, -1);
    Py_DECREF(text);
    return unescaped;
}

/* -- reading ------------------------------------------------------------------------------ */

PyDoc_STRVAR(scan_doc,
             "scan(lines, header_width, positions, offer, tables, values, keep_quoted) -> (records, keys, offers, cut, stop)\n\n"
             "Reads lines up to the first line that is not plain (see the module's source),\n"
             "and gives for each row: its record (the line without its line break when it is as wide\n"
             "as the header and unquoted, or quoted and keep_quoted; else its list of cells), its key\n"
             "(the codes of the cells at `positions` as bytes of int32; a missing cell is \"\"), and\n"
             "its offer (the cell at `offer`, or offers is None when offer < 0). cut: the rows wider\n"
             "than the header; stop: the index of the first line not read (len(lines) at the end).\n"
             "Blank lines give no row.");

static PyObject *
scan(PyObject *self, PyObject *args)
{
    PyObject *lines, *positions, *tables, *values;
    Py_ssize_t header_width, offer_at;
    int keep_quoted;
    if (!PyArg_ParseTuple(args, "O!nO!nO!O!p:scan", &PyList_Type, &lines, &header_width, &PyTuple_Type, &positions, &offer_at,
                          &PyList_Type, &tables, &PyList_Type, &values, &keep_quoted))
        return NULL;
    Py_ssize_t k = PyTuple_GET_SIZE(positions);
    if (!tables_ok(tables, values, k))
        return NULL;
    if (k < 1 || k > 64 || header_width < 1) {
        PyErr_SetString(PyExc_ValueError, "scan: expected 1 to 64 positions and header_width >= 1");
        return NULL;
    }
    Py_ssize_t position[64];
    for (Py_ssize_t j = 0; j < k; j++) {
        position[j] = PyLong_AsSsize_t(PyTuple_GET_ITEM(positions, j));
        if (position[j] < 0) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "scan: a position below 0");
            return NULL;
        }
    }
    int32_t codes[64];
    PyObject *records = PyList_New(0), *keys = PyList_New(0), *offers = offer_at >= 0 ? PyList_New(0) : Py_NewRef(Py_None);
    PyObject *empty = PyUnicode_FromStringAndSize("", 0);
    Cells cells = {NULL, NULL, NULL, 0};
    Py_ssize_t cut = 0, i = 0, n_lines = PyList_GET_SIZE(lines);
    if (records == NULL || keys == NULL || offers == NULL || empty == NULL)
        goto fail;
    for (; i < n_lines; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyUnicode_Check(line))
            break;
        int kind = PyUnicode_KIND(line);
        const void *data = PyUnicode_DATA(line);
        Py_ssize_t end = PyUnicode_GET_LENGTH(line);
        while (end > 0 && (PyUnicode_READ(kind, data, end - 1) == '\n' || PyUnicode_READ(kind, data, end - 1) == '\r'))
            end--;
        if (end == 0)
            continue; /* a blank line is not a row */
        Py_ssize_t n = 0;
        int quoted = 0;
        int plain = split_line(kind, data, end, &cells, &n, &quoted);
        if (plain < 0) {
            PyErr_NoMemory();
            goto fail;
        }
        if (!plain)
            break;
        if (n > header_width)
            cut++;
        PyObject *record, *row = NULL; /* row: the list of cells, when the record is one */
        if (n == header_width && (!quoted || keep_quoted)) {
            record = end == PyUnicode_GET_LENGTH(line) ? Py_NewRef(line) : PyUnicode_Substring(line, 0, end);
        }
        else {
            record = row = PyList_New(n);
            if (row != NULL) {
                for (Py_ssize_t c = 0; c < n; c++) {
                    PyObject *text = cell_text(line, &cells, c);
                    if (text == NULL) {
                        Py_CLEAR(row);
                        record = NULL;
                        break;
                    }
                    PyList_SET_ITEM(row, c, text);
                }
            }
        }
        if (record == NULL)
            goto fail;
        int failed = PyList_Append(records, record) < 0;
        Py_DECREF(record);
        if (failed)
            goto fail;
        for (Py_ssize_t j = 0; j < k; j++) {
            Py_ssize_t p = position[j];
            PyObject *table = PyList_GET_ITEM(tables, j), *column = PyList_GET_ITEM(values, j);
            if (p >= n)
                codes[j] = code_of_str(table, column, empty);
            else if (row != NULL)
                codes[j] = code_of_str(table, column, PyList_GET_ITEM(row, p));
            else if (cells.escaped[p]) {
                PyObject *text = cell_text(line, &cells, p);
                codes[j] = text == NULL ? -1 : code_of_str(table, column, text);
                Py_XDECREF(text);
            }
            else /* found by its characters in the line: a str only for a new cell */
                codes[j] = code_of(table, column, kind, data, cells.start[p], cells.end[p], NULL, line);
            if (codes[j] < 0)
                goto fail;
        }
        PyObject *key = PyBytes_FromStringAndSize((const char *)codes, (Py_ssize_t)(k * sizeof(int32_t)));
        if (key == NULL)
            goto fail;
        failed = PyList_Append(keys, key) < 0;
        Py_DECREF(key);
        if (failed)
            goto fail;
        if (offer_at >= 0) {
            PyObject *offer = offer_at >= n ? Py_NewRef(empty) : row != NULL ? Py_NewRef(PyList_GET_ITEM(row, offer_at)) : cell_text(line, &cells, offer_at);
            if (offer == NULL)
                goto fail;
            failed = PyList_Append(offers, offer) < 0;
            Py_DECREF(offer);
            if (failed)
                goto fail;
        }
    }
    cells_free(&cells);
    Py_DECREF(empty);
    return Py_BuildValue("(NNNnn)", records, keys, offers, cut, i);
fail:
    cells_free(&cells);
    Py_XDECREF(records);
    Py_XDECREF(keys);
    Py_XDECREF(offers);
    Py_XDECREF(empty);
    return NULL;
}

PyDoc_STRVAR(code_keys_doc,
             "code_keys(rows, tables, values) -> keys\n\n"
             "Each row (a tuple of one cell per factor column) as scan() gives its key: the codes\n"
             "of its cells in tables (new cells get the next codes), as bytes of int32.");

static PyObject *
code_keys(PyObject *self, PyObject *args)
{
    PyObject *rows, *tables, *values;
    if (!PyArg_ParseTuple(args, "O!O!O!:code_keys", &PyList_Type, &rows, &PyList_Type, &tables, &PyList_Type, &values))
        return NULL;
    Py_ssize_t k = PyList_GET_SIZE(tables);
    if (!tables_ok(tables, values, k))
        return NULL;
    if (k < 1 || k > 64) {
        PyErr_SetString(PyExc_ValueError, "code_keys: expected 1 to 64 columns");
        return NULL;
    }
    int32_t codes[64];
    Py_ssize_t n = PyList_GET_SIZE(rows);
    PyObject *keys = PyList_New(n);
    if (keys == NULL)
        return NULL;
    for (Py_ssize_t r = 0; r < n; r++) {
        PyObject *row = PyList_GET_ITEM(rows, r);
        if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != k) {
            PyErr_Format(PyExc_ValueError, "code_keys: row %zd is not a tuple of %zd cells", r, k);
            Py_DECREF(keys);
            return NULL;
        }
        for (Py_ssize_t j = 0; j < k; j++) {
            codes[j] = code_of_str(PyList_GET_ITEM(tables, j), PyList_GET_ITEM(values, j), PyTuple_GET_ITEM(row, j));
            if (codes[j] < 0) {
                Py_DECREF(keys);
                return NULL;
            }
        }
        PyObject *key = PyBytes_FromStringAndSize((const char *)codes, (Py_ssize_t)(k * sizeof(int32_t)));
        if (key == NULL) {
            Py_DECREF(keys);
            return NULL;
        }
        PyList_SET_ITEM(keys, r, key);
    }
    return keys;
}

/* -- joining -------------------------------------------------------------------------------- */

PyDoc_STRVAR(join_rows_doc,
             "join_rows(pieces, n, whole) -> list[str] | str\n\n"
             "Row i of n is the concatenation of the pieces, each either a str (the same in every\n"
             "row) or a list of n str (row i takes item i): the list of the n rows, or with whole\n"
             "their concatenation, one str.");

static PyObject *
join_rows(PyObject *self, PyObject *args)
{
    PyObject *pieces;
    Py_ssize_t n;
    int whole;
    if (!PyArg_ParseTuple(args, "O!np:join_rows", &PyList_Type, &pieces, &n, &whole))
        return NULL;
    Py_ssize_t k = PyList_GET_SIZE(pieces);
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "join_rows: n below 0");
        return NULL;
    }
    /* Every piece checked first, and the length and widest character of the whole found. */
    Py_ssize_t total = 0;
    Py_UCS4 widest = 0;
    for (Py_ssize_t p = 0; p < k; p++) {
        PyObject *piece = PyList_GET_ITEM(pieces, p);
        if (PyUnicode_Check(piece)) {
            Py_ssize_t length = PyUnicode_GET_LENGTH(piece);
            if (length > 0 && n > (PY_SSIZE_T_MAX - total) / length)
                return PyErr_NoMemory();
            total += length * n;
            Py_UCS4 top = PyUnicode_MAX_CHAR_VALUE(piece);
            widest = top > widest ? top : widest;
            continue;
        }
        if (!PyList_Check(piece) || PyList_GET_SIZE(piece) != n) {
            PyErr_Format(PyExc_ValueError, "join_rows: piece %zd is neither a str nor a list of %zd str", p, n);
            return NULL;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *text = PyList_GET_ITEM(piece, i);
            if (!PyUnicode_Check(text)) {
                PyErr_Format(PyExc_TypeError, "join_rows: item %zd of piece %zd is not a str", i, p);
                return NULL;
            }
            Py_ssize_t length = PyUnicode_GET_LENGTH(text);
            if (length > PY_SSIZE_T_MAX - total)
                return PyErr_NoMemory();
            total += length;
            Py_UCS4 top = PyUnicode_MAX_CHAR_VALUE(text);
            widest = top > widest ? top : widest;
        }
    }
    PyObject *result = whole ? PyUnicode_New(total, widest) : PyList_New(n);
    if (result == NULL)
        return NULL;
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *row = result;
        if (!whole) {
            Py_ssize_t length = 0;
            Py_UCS4 top = 0;
            for (Py_ssize_t p = 0; p < k; p++) {
                PyObject *piece = PyList_GET_ITEM(pieces, p);
                PyObject *text = PyUnicode_Check(piece) ? piece : PyList_GET_ITEM(piece, i);
                length += PyUnicode_GET_LENGTH(text);
                Py_UCS4 max = PyUnicode_MAX_CHAR_VALUE(text);
                top = max > top ? max : top;
            }
            row = PyUnicode_New(length, top);
            if (row == NULL) {
                Py_DECREF(result);
                return NULL;
            }
            at = 0;
        }
        for (Py_ssize_t p = 0; p < k; p++) {
            PyObject *piece = PyList_GET_ITEM(pieces, p);
            PyObject *text = PyUnicode_Check(piece) ? piece : PyList_GET_ITEM(piece, i);
            Py_ssize_t length = PyUnicode_GET_LENGTH(text);
            if (length && PyUnicode_CopyCharacters(row, at, text, 0, length) < 0) {
                if (!whole)
                    Py_DECREF(row);
                Py_DECREF(result);
                return NULL;
            }
            at += length;
        }
        if (!whole)
            PyList_SET_ITEM(result, i, row);
    }
    return result;
}

/* -- JSON Lines -------------------------------------------------------------------------- */

/* One piece of a JSON row: str[start:end], written as it is (raw) or as a JSON string's inside
 * (json); doubled: a quoted CSV cell's text, whose doubled quotes are each one quote; fixed:
 * the same in every row (measured once). */
typedef struct {
    PyObject *str;
    Py_ssize_t start, end;
    int json, doubled, fixed;
} Piece;

/* Whether json.dumps escapes c inside a string: a quote, a backslash, or below U+0020. */
#define ESCAPED(c) ((c) < 0x20 || (c) == '"' || (c) == '\\')

/* The escape json.dumps(ensure_ascii=False) writes for an ESCAPED character, into text (ASCII);
 * its length. */
static inline int
json_escape(Py_UCS4 c, char text[6])
{
    static const char hex[] = "0123456789abcdef";
    const char *named = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
    if (named != NULL) {
        memcpy(text, named, 2);
        return 2;
    }
    memcpy(text, "\\u00", 4);
    text[4] = hex[c >> 4];
    text[5] = hex[c & 15];
    return 6;
}

/* The characters a piece takes in JSON (its quotes, backslashes and characters below U+0020
 * escaped as json.dumps(ensure_ascii=False) escapes them), into *length; its widest character
 * into *widest; the surrogates (which UTF-8 cannot hold) into *surrogates. */
#define MEASURE(NAME, CHAR)                                                                                    \
    static void NAME(const CHAR *s, const Piece *p, Py_ssize_t *length, Py_ssize_t *bytes, Py_UCS4 *widest, Py_ssize_t *surrogates) \
    {                                                                                                          \
        Py_ssize_t n = 0, b = 0;                                                                               \
        Py_UCS4 top = *widest;                                                                                 \
        char escape[6];                                                                                        \
        for (Py_ssize_t i = p->start; i < p->end; i++) {                                                       \
            Py_UCS4 c = s[i];                                                                                  \
            top = c > top ? c : top;                                                                           \
            if (sizeof(CHAR) > 1 && c >= 0xD800 && c <= 0xDFFF)                                                \
                ++*surrogates;                                                                                 \
            if (p->json && ESCAPED(c)) {                                                                       \
                int k = json_escape(c, escape);                                                                \
                n += k;                                                                                        \
                b += k;                                                                                        \
                i += p->doubled && c == '"'; /* the doubled quote's second */                                  \
            }                                                                                                  \
            else {                                                                                             \
                n += 1;                                                                                        \
                b += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;                                       \
            }                                                                                                  \
        }                                                                                                      \
        *length += n;                                                                                          \
        *bytes += b;                                                                                           \
        *widest = top;                                                                                         \
    }

MEASURE(measure_ucs1, Py_UCS1)
MEASURE(measure_ucs2, Py_UCS2)
MEASURE(measure_ucs4, Py_UCS4)

/* Writes a piece (of characters CHAR) into a str's data of characters OUT, as MEASURE counts
 * it; the end of what was written. */
#define WRITE(NAME, CHAR, OUT)                                                                                 \
    static OUT *NAME(OUT *out, const CHAR *s, const Piece *p)                                                 \
    {                                                                                                          \
        char escape[6];                                                                                        \
        for (Py_ssize_t i = p->start; i < p->end; i++) {                                                       \
            Py_UCS4 c = s[i];                                                                                  \
            if (p->json && ESCAPED(c)) {                                                                       \
                int k = json_escape(c, escape);                                                                \
                for (int e = 0; e < k; e++)                                                                    \
                    *out++ = (OUT)escape[e];                                                                   \
                i += p->doubled && c == '"';                                                                   \
            }                                                                                                  \
            else                                                                                               \
                *out++ = (OUT)c;                                                                               \
        }                                                                                                      \
        return out;                                                                                            \
    }

WRITE(write_1_1, Py_UCS1, Py_UCS1)
WRITE(write_1_2, Py_UCS1, Py_UCS2)
WRITE(write_1_4, Py_UCS1, Py_UCS4)
WRITE(write_2_2, Py_UCS2, Py_UCS2)
WRITE(write_2_4, Py_UCS2, Py_UCS4)
WRITE(write_4_4, Py_UCS4, Py_UCS4)

/* A piece's length in characters (*length) and in UTF-8 bytes (*bytes), added; see MEASURE. */
static void
measure(const Piece *p, Py_ssize_t *length, Py_ssize_t *bytes, Py_UCS4 *widest, Py_ssize_t *surrogates)
{
    const void *data = PyUnicode_DATA(p->str);
    switch (PyUnicode_KIND(p->str)) {
    case PyUnicode_1BYTE_KIND:
        measure_ucs1(data, p, length, bytes, widest, surrogates);
        break;
    case PyUnicode_2BYTE_KIND:
        measure_ucs2(data, p, length, bytes, widest, surrogates);
        break;
    default:
        measure_ucs4(data, p, length, bytes, widest, surrogates);
    }
}

/* Writes a piece at `at` of `result` (whose width holds every piece: measured first). */
static Py_ssize_t
write_piece(PyObject *result, Py_ssize_t at, const Piece *p)
{
    const void *in = PyUnicode_DATA(p->str);
    void *out = PyUnicode_DATA(result);
    int from = PyUnicode_KIND(p->str), to = PyUnicode_KIND(result);
    if (to == PyUnicode_1BYTE_KIND)
        return write_1_1((Py_UCS1 *)out + at, in, p) - (Py_UCS1 *)out;
    if (to == PyUnicode_2BYTE_KIND) {
        if (from == PyUnicode_1BYTE_KIND)
            return write_1_2((Py_UCS2 *)out + at, in, p) - (Py_UCS2 *)out;
        return write_2_2((Py_UCS2 *)out + at, in, p) - (Py_UCS2 *)out;
    }
    if (from == PyUnicode_1BYTE_KIND)
        return write_1_4((Py_UCS4 *)out + at, in, p) - (Py_UCS4 *)out;
    if (from == PyUnicode_2BYTE_KIND)
        return write_2_4((Py_UCS4 *)out + at, in, p) - (Py_UCS4 *)out;
    return write_4_4((Py_UCS4 *)out + at, in, p) - (Py_UCS4 *)out;
}

/* Writes a piece (of characters CHAR) as UTF-8 bytes, as MEASURE counts them (no surrogate:
 * a text with one is not written); the end of what was written. */
#define WRITE_UTF8(NAME, CHAR)                                                                                 \
    static unsigned char *NAME(unsigned char *out, const CHAR *s, const Piece *p)                             \
    {                                                                                                          \
        char escape[6];                                                                                        \
        for (Py_ssize_t i = p->start; i < p->end; i++) {                                                       \
            Py_UCS4 c = s[i];                                                                                  \
            if (p->json && ESCAPED(c)) {                                                                       \
                int k = json_escape(c, escape);                                                                \
                memcpy(out, escape, (size_t)k);                                                                \
                out += k;                                                                                      \
                i += p->doubled && c == '"';                                                                   \
            }                                                                                                  \
            else if (c < 0x80)                                                                                 \
                *out++ = (unsigned char)c;                                                                     \
            else if (c < 0x800) {                                                                              \
                *out++ = (unsigned char)(0xC0 | (c >> 6));                                                     \
                *out++ = (unsigned char)(0x80 | (c & 0x3F));                                                   \
            }                                                                                                  \
            else if (c < 0x10000) {                                                                            \
                *out++ = (unsigned char)(0xE0 | (c >> 12));                                                    \
                *out++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));                                            \
                *out++ = (unsigned char)(0x80 | (c & 0x3F));                                                   \
            }                                                                                                  \
            else {                                                                                             \
                *out++ = (unsigned char)(0xF0 | (c >> 18));                                                    \
                *out++ = (unsigned char)(0x80 | ((c >> 12) & 0x3F));                                           \
                *out++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));                                           \
                *out++ = (unsigned char)(0x80 | (c & 0x3F));                                                   \
            }                                                                                                  \
        }                                                                                                      \
        return out;                                                                                            \
    }

WRITE_UTF8(utf8_ucs1, Py_UCS1)
WRITE_UTF8(utf8_ucs2, Py_UCS2)
WRITE_UTF8(utf8_ucs4, Py_UCS4)

static unsigned char *
write_piece_utf8(unsigned char *out, const Piece *p)
{
    const void *data = PyUnicode_DATA(p->str);
    switch (PyUnicode_KIND(p->str)) {
    case PyUnicode_1BYTE_KIND:
        return utf8_ucs1(out, data, p);
    case PyUnicode_2BYTE_KIND:
        return utf8_ucs2(out, data, p);
    default:
        return utf8_ucs4(out, data, p);
    }
}

/* The pieces of a record's JSON row into p (room for 2 * width + 3): texts[0], its cell 0,
 * texts[1], ..., its cell width - 1, texts[width], its tail, `end` (a cell: a JSON string's
 * inside; the record's cells padded with "" or cut to width). 0, or 1 when a line is not plain,
 * -1 on an error. */
static int
row_pieces(PyObject *record, PyObject *texts, PyObject *tail, PyObject *end, Cells *cells, Piece *p, Py_ssize_t *count)
{
    Py_ssize_t width = PyList_GET_SIZE(texts) - 1, n_cells = 0;
    int is_line = PyUnicode_Check(record);
    if (is_line) {
        Py_ssize_t length = PyUnicode_GET_LENGTH(record);
        if (PyUnicode_FindChar(record, '"', 0, length, 1) >= 0) {
            int quoted, plain = split_line(PyUnicode_KIND(record), PyUnicode_DATA(record), length, cells, &n_cells, &quoted);
            if (plain <= 0) {
                if (plain < 0)
                    PyErr_NoMemory();
                return plain < 0 ? -1 : 1;
            }
        }
        else { /* split on commas, whatever else the line holds */
            Py_ssize_t pos = 0;
            for (;;) {
                if (cells_reserve(cells, n_cells + 1) < 0) {
                    PyErr_NoMemory();
                    return -1;
                }
                Py_ssize_t comma = PyUnicode_FindChar(record, ',', pos, length, 1);
                if (comma == -2)
                    return -1;
                cells->start[n_cells] = pos;
                cells->end[n_cells] = comma < 0 ? length : comma;
                cells->escaped[n_cells++] = 0;
                if (comma < 0)
                    break;
                pos = comma + 1;
            }
        }
    }
    else if (PyList_Check(record))
        n_cells = PyList_GET_SIZE(record);
    else {
        PyErr_SetString(PyExc_TypeError, "json_rows: a record must be a str or a list of str");
        return -1;
    }
    if (!PyUnicode_Check(tail)) {
        PyErr_SetString(PyExc_TypeError, "json_rows: tails must be str");
        return -1;
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t j = 0; j <= width; j++) {
        PyObject *text = PyList_GET_ITEM(texts, j);
        p[k++] = (Piece){text, 0, PyUnicode_GET_LENGTH(text), 0, 0, 1};
        if (j == width || j >= n_cells)
            continue;
        if (is_line)
            p[k++] = (Piece){record, cells->start[j], cells->end[j], 1, cells->escaped[j], 0};
        else {
            PyObject *cell = PyList_GET_ITEM(record, j);
            if (!PyUnicode_Check(cell)) {
                PyErr_SetString(PyExc_TypeError, "json_rows: a record must be a str or a list of str");
                return -1;
            }
            p[k++] = (Piece){cell, 0, PyUnicode_GET_LENGTH(cell), 1, 0, 0};
        }
    }
    p[k++] = (Piece){tail, 0, PyUnicode_GET_LENGTH(tail), 0, 0, 0};
    p[k++] = (Piece){end, 0, PyUnicode_GET_LENGTH(end), 0, 0, 1};
    *count = k;
    return 0;
}

PyDoc_STRVAR(json_rows_doc,
             "json_rows(records, texts, tails, end, utf8=False) -> str | bytes | None\n\n"
             "The JSON Lines objects of CSV records, one str: for each record, texts[0], its cell 0\n"
             "as a JSON string's inside, texts[1], ..., its last cell, texts[-1] (one text more than\n"
             "columns: a record's cells are padded with \"\" or cut to them), its tail (tails[i]) and\n"
             "`end`. A record is a list of cells or a line's text: split on commas, or read as CSV\n"
             "when it holds a quote. None if such a line is not plain (the caller reads it), or the\n"
             "text would hold a surrogate (which UTF-8 cannot: the caller escapes it). With utf8,\n"
             "the text's UTF-8 bytes.");

static PyObject *
json_rows(PyObject *self, PyObject *args)
{
    PyObject *records, *texts, *tails, *end;
    int utf8 = 0;
    if (!PyArg_ParseTuple(args, "O!O!O!U|p:json_rows", &PyList_Type, &records, &PyList_Type, &texts, &PyList_Type, &tails, &end, &utf8))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(records), width = PyList_GET_SIZE(texts) - 1;
    if (PyList_GET_SIZE(tails) != n || width < 0) {
        PyErr_SetString(PyExc_ValueError, "json_rows: expected one tail per record and a text at least");
        return NULL;
    }
    /* The texts, the same in every row: measured once. */
    Py_ssize_t fixed = 0, fixed_bytes = 0, surrogates = 0;
    Py_UCS4 widest = 0;
    for (Py_ssize_t j = 0; j <= width; j++) {
        PyObject *text = PyList_GET_ITEM(texts, j);
        if (!PyUnicode_Check(text)) {
            PyErr_SetString(PyExc_TypeError, "json_rows: texts must be str");
            return NULL;
        }
        Piece piece = {text, 0, PyUnicode_GET_LENGTH(text), 0, 0, 1};
        measure(&piece, &fixed, &fixed_bytes, &widest, &surrogates);
    }
    Piece last = {end, 0, PyUnicode_GET_LENGTH(end), 0, 0, 1};
    measure(&last, &fixed, &fixed_bytes, &widest, &surrogates);
    if (n > 0 && fixed_bytes > PY_SSIZE_T_MAX / 8 / n)
        return PyErr_NoMemory();
    PyObject *result = NULL;
    Cells cells = {NULL, NULL, NULL, 0};
    /* Every row's pieces, found once: first the text's length and widest character are
     * measured from them, then the text is written. */
    Py_ssize_t per_row = 2 * width + 3, total = 0, length = fixed * n, bytes = fixed_bytes * n;
    if (n > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(Piece) / per_row)
        return PyErr_NoMemory();
    Piece *pieces = PyMem_Malloc((n ? n : 1) * per_row * sizeof(Piece));
    if (pieces == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t count = 0;
        int status = row_pieces(PyList_GET_ITEM(records, i), texts, PyList_GET_ITEM(tails, i), end, &cells, pieces + total, &count);
        if (status != 0) {
            if (status > 0)
                result = Py_NewRef(Py_None);
            goto done;
        }
        for (Py_ssize_t k = total; k < total + count; k++) {
            if (!pieces[k].fixed)
                measure(&pieces[k], &length, &bytes, &widest, &surrogates);
        }
        total += count;
    }
    if (surrogates) { /* not UTF-8: the caller writes such rows its own way */
        result = Py_NewRef(Py_None);
        goto done;
    }
    if (utf8) {
        result = PyBytes_FromStringAndSize(NULL, bytes);
        if (result == NULL)
            goto done;
        unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
        for (Py_ssize_t k = 0; k < total; k++)
            out = write_piece_utf8(out, &pieces[k]);
        goto done;
    }
    result = PyUnicode_New(length, widest);
    if (result == NULL)
        goto done;
    Py_ssize_t at = 0;
    for (Py_ssize_t k = 0; k < total; k++)
        at = write_piece(result, at, &pieces[k]);
done:
    cells_free(&cells);
    PyMem_Free(pieces);
    return result;
}

PyDoc_STRVAR(int_texts_doc,
             "int_texts(values) -> list[str]\n\n"
             "Each of a 1-dimensional buffer of int64 as str() writes it.");

static PyObject *
int_texts(PyObject *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return NULL;
    const char *format = view.format ? view.format : "B";
    if (format[0] == '@' || format[0] == '=')
        format++;
    if (view.ndim != 1 || view.itemsize != 8 || (strcmp(format, "q") != 0 && strcmp(format, "l") != 0)) {
        PyErr_Format(PyExc_ValueError, "int_texts: expected a 1-dimensional array of int64, got format '%s'", view.format ? view.format : "B");
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_ssize_t n = view.len / 8;
    const int64_t *values = view.buf;
    PyObject *texts = PyList_New(n);
    for (Py_ssize_t i = 0; texts != NULL && i < n; i++) {
        char digits[24], *end = digits + sizeof digits, *at = end;
        int64_t value = values[i];
        uint64_t magnitude = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
        do {
            *--at = (char)('0' + magnitude % 10);
            magnitude /= 10;
        } while (magnitude);
        if (value < 0)
            *--at = '-';
        PyObject *text = PyUnicode_FromStringAndSize(at, end - at);
        if (text == NULL)
            Py_CLEAR(texts);
        else
            PyList_SET_ITEM(texts, i, text);
    }
    PyBuffer_Release(&view);
    return texts;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, scan_doc},
    {"code_keys", code_keys, METH_VARARGS, code_keys_doc},
    {"join_rows", join_rows, METH_VARARGS, join_rows_doc},
    {"int_texts", int_texts, METH_O, int_texts_doc},
    {"json_rows", json_rows, METH_VARARGS, json_rows_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_text", "Batch's per-row text work in C (see batch/_text.c); optional.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__text(void)
{
    return PyModule_Create(&module);
}
