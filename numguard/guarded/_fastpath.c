/*
 * numguard.guarded._fastpath: GuardedArray's element-wise ufunc calls that cannot trip, in C.
 *
 * A Python `__array_ufunc__` costs more than NumPy's kernel on small arrays (a frame, the
 * argument tuple, unwrapping, rewrapping). This module gives GuardedArray entries written
 * in C, installed where the Python methods were (guarded/ufuncs.py, guarded/operators.py),
 * each holding the Python method it stands in front of:
 *
 *   - FastPath.array_ufunc(python) -> the `__array_ufunc__` entry;
 *   - FastPath.operator(ufunc, python) -> the entry of a binary operator (`__add__`, ...).
 *
 * An entry handles a call itself only when numguard's answer cannot depend on anything
 * but what it checks here, and otherwise calls the Python method with the same arguments
 * (it "declines"). The Python path is the oracle and the fallback; the checks below are
 * a subset of its hot path (ufuncs.binary_hot_path) and of `policy.small_bound`:
 *
 *   - `__call__` of an element-wise NumPy ufunc (a registry the Python side passes:
 *     ufunc -> nin, 1 or 2), with no keyword at all (out=, where=, dtype=, ... decline);
 *   - the calling array is exactly GuardedArray (recognised by its `_for_ndarray`);
 *     twins of subclasses (np.matrix, ...) and subclasses of GuardedArray decline;
 *   - every operand is exactly GuardedArray, exactly ndarray, or exactly a Python
 *     int/float/complex/bool (so no operand has an `__array_ufunc__` of its own, and NEP
 *     13's order is the Python path's), and every array has a builtin numeric dtype
 *     (bool, integers, floats, complex, half: a registry type_num -> itemsize);
 *   - under the settings in force (the `_scoped` ContextVar's Scope, else numguard.
 *     settings._process): mode "off" needs nothing more; otherwise every array has the
 *     same shape (nothing is broadcast, so neither inflation nor rank promotion can
 *     trip) and the bound size * (sum of operand itemsizes, 16 per Python scalar, +
 *     ELEMENT_SLACK) is at most policy.small_bound(settings): too small to trip the
 *     memory rule, so the call needs no mark and no estimate.
 *
 * Then the ufunc runs on plain ndarray views (`ndarray.view`, as the Python path does),
 * and a plain ndarray result (or each one of a tuple) is viewed as GuardedArray; a NumPy
 * scalar is returned as it is. NumPy's own errors propagate unchanged.
 *
 * State: the registries and names given to FastPath(...) never change; the one mutable
 * thing is the settings cache (the last Settings seen, held by a strong reference, and
 * what was derived from it), read and written with the GIL held, without Python code
 * running between the identity check and the reads, so it is safe across threads and
 * across fork (a child inherits the objects the cache refers to).
 *
 * Arrays are read through the two structs below: the leading fields of NumPy's
 * PyArrayObject_fields and the "1.x and 2.x compatible" PyArray_Descr of
 * numpy/ndarraytypes.h. Every extension built with NumPy's headers reads these fields
 * inline (PyArray_NDIM, PyArray_DIMS, PyArray_DESCR, ->type_num), so their layout is
 * NumPy's ABI; declaring them here keeps NumPy out of the build, as the backstop's
 * handler does. FastPath(...) checks the layout against sample arrays before anything
 * trusts it, and refuses to start (the Python path runs alone) if it differs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyTypeObject *typeobj;
    char kind;
    char type;
    char byteorder;
    char former_flags;
    int type_num;
} DescrHead;

typedef struct {
    PyObject_HEAD
    char *data;
    int nd;
    Py_intptr_t *dimensions;
    Py_intptr_t *strides;
    PyObject *base;
    DescrHead *descr;
} ArrayHead;

/* NumPy's legacy builtin type numbers: NPY_BOOL (0) to NPY_CLONGDOUBLE (16), ..., NPY_HALF (23). */
#define TYPE_NUMS 24
/* Not numeric: NPY_OBJECT (17), NPY_STRING, NPY_UNICODE, NPY_VOID, NPY_DATETIME,
   NPY_TIMEDELTA (22). */
#define OBJECT_NUM 17
#define TIMEDELTA_NUM 22
#define MAX_INPUTS 2

static PyObject *str_process, *str_settings, *str_mode, *str_call, *str_for_ndarray,
    *str_unguarded;

typedef struct {
    PyObject_HEAD
    PyTypeObject *ndarray;   /* np.ndarray */
    PyTypeObject *ufunc_type;/* np.ufunc */
    PyObject *view;          /* ndarray.view, the unbound method */
    PyObject *scoped;        /* numguard.settings._scoped: the ContextVar of Scopes */
    PyObject *namespace;     /* numguard.settings' globals, for "_process" */
    PyObject *small_bound;   /* numguard.policy.small_bound */
    PyObject *guarded_base;  /* deferral.Guarded, the base of every guarded class */
    PyObject *ufuncs;        /* {element-wise ufunc: nin} */
    PyTypeObject *guarded;   /* GuardedArray, once read (a strong reference), or NULL */
    Py_ssize_t slack;        /* policy.ELEMENT_SLACK */
    Py_ssize_t scalar_itemsize; /* bytes a Python scalar operand counts for */
    Py_ssize_t itemsizes[TYPE_NUMS]; /* 0: not a type this path takes */
    /* The settings cache: the Settings last seen (strong), and what it says. */
    PyObject *cached_settings;
    int cached_off;
    Py_ssize_t cached_small;  /* policy.small_bound(cached_settings); < 0: none */
} FastPath;

typedef struct {
    PyObject_HEAD
    FastPath *fastpath;
    PyObject *ufunc;         /* an operator's ufunc; NULL for the __array_ufunc__ entry */
    PyObject *python;        /* the Python method this entry stands in front of */
    vectorcallfunc vectorcall;
} Entry;

static PyTypeObject FastPathType;
static PyTypeObject EntryType;

/* -- the settings in force ---------------------------------------------------------- */

/* Fills the cache from `settings`. Python code runs here (attribute reads and
   small_bound): everything is computed first, then the cache is written at once. */
static int
refresh(FastPath *fp, PyObject *settings)
{
    PyObject *mode, *bound, *old;
    int off;
    Py_ssize_t small;

    mode = PyObject_GetAttr(settings, str_mode);
    if (mode == NULL) {
        return -1;
    }
    off = PyUnicode_Check(mode) && PyUnicode_CompareWithASCIIString(mode, "off") == 0;
    Py_DECREF(mode);
    bound = PyObject_CallOneArg(fp->small_bound, settings);
    if (bound == NULL) {
        return -1;
    }
    small = PyLong_Check(bound) ? PyLong_AsSsize_t(bound) : -1;
    Py_DECREF(bound);
    if (small == -1 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return -1;
        }
        PyErr_Clear();  /* a bound past Py_ssize_t: every array fits below it */
        small = PY_SSIZE_T_MAX;
    }
    old = fp->cached_settings;
    Py_INCREF(settings);
    fp->cached_settings = settings;
    fp->cached_off = off;
    fp->cached_small = small < 0 ? -1 : small;
    Py_XDECREF(old);
    return 0;
}

/* What the settings in force say: mode "off", and the small-result bound. */
static int
settings_in_force(FastPath *fp, int *off, Py_ssize_t *small)
{
    PyObject *scope = NULL, *settings;

    if (PyContextVar_Get(fp->scoped, Py_None, &scope) < 0) {
        return -1;
    }
    if (scope == Py_None) {
        Py_DECREF(scope);
        settings = PyDict_GetItemWithError(fp->namespace, str_process);
        if (settings == NULL) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_RuntimeError,
                                "numguard.settings._process is missing");
            }
            return -1;
        }
        Py_INCREF(settings);
    }
    else {
        settings = PyObject_GetAttr(scope, str_settings);
        Py_DECREF(scope);
        if (settings == NULL) {
            return -1;
        }
    }
    if (settings != fp->cached_settings && refresh(fp, settings) < 0) {
        Py_DECREF(settings);
        return -1;
    }
    *off = fp->cached_off;
    *small = fp->cached_small;
    Py_DECREF(settings);
    return 0;
}

/* -- the guarded class --------------------------------------------------------------- */

/* 1 when `type` is GuardedArray, 0 when not, -1 on error. GuardedArray is created after
   the entries (guarded/array.py), so it is recognised on first use: the Guarded class
   whose _for_ndarray is itself and whose _unguarded is ndarray (its twins and
   subclasses name GuardedArray as their _for_ndarray). */
static int
is_guarded(FastPath *fp, PyTypeObject *type)
{
    PyObject *for_ndarray, *unguarded;
    int ok;

    if (fp->guarded != NULL) {
        return type == fp->guarded;
    }
    if (!PyType_IsSubtype(type, (PyTypeObject *)fp->guarded_base)
        || !PyType_IsSubtype(type, fp->ndarray)) {
        return 0;
    }
    for_ndarray = PyObject_GetAttr((PyObject *)type, str_for_ndarray);
    if (for_ndarray == NULL) {
        return -1;
    }
    ok = for_ndarray == (PyObject *)type;
    Py_DECREF(for_ndarray);
    if (!ok) {
        return 0;
    }
    unguarded = PyObject_GetAttr((PyObject *)type, str_unguarded);
    if (unguarded == NULL) {
        return -1;
    }
    ok = unguarded == (PyObject *)fp->ndarray;
    Py_DECREF(unguarded);
    if (ok && fp->guarded == NULL) {
        fp->guarded = (PyTypeObject *)Py_NewRef((PyObject *)type);
    }
    return ok && type == fp->guarded;
}

/* -- one call ------------------------------------------------------------------------ */

static PyObject *
view_as(FastPath *fp, PyObject *array, PyTypeObject *type)
{
    PyObject *args[3] = {NULL, array, (PyObject *)type};
    return PyObject_Vectorcall(fp->view, args + 1, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

/* The result as the Python path returns it (deferral.rewrap): a plain ndarray, or each
   one of a tuple, as GuardedArray; anything else as it is. Steals `result`. */
static PyObject *
guarded_result(FastPath *fp, PyObject *result)
{
    PyObject *wrapped, *item;
    Py_ssize_t i, n;

    if (Py_IS_TYPE(result, fp->ndarray)) {
        wrapped = view_as(fp, result, fp->guarded);
        Py_DECREF(result);
        return wrapped;
    }
    if (!PyTuple_CheckExact(result)) {
        return result;
    }
    n = PyTuple_GET_SIZE(result);
    wrapped = PyTuple_New(n);
    if (wrapped == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        item = PyTuple_GET_ITEM(result, i);
        if (Py_IS_TYPE(item, fp->ndarray)) {
            item = view_as(fp, item, fp->guarded);
            if (item == NULL) {
                Py_DECREF(wrapped);
                Py_DECREF(result);
                return NULL;
            }
        }
        else {
            Py_INCREF(item);
        }
        PyTuple_SET_ITEM(wrapped, i, item);
    }
    Py_DECREF(result);
    return wrapped;
}

static int
is_python_scalar(PyObject *x)
{
    PyTypeObject *type = Py_TYPE(x);
    return type == &PyFloat_Type || type == &PyLong_Type || type == &PyBool_Type
           || type == &PyComplex_Type;
}

static int
same_shape(const ArrayHead *a, const ArrayHead *b)
{
    int i;
    if (a->nd != b->nd) {
        return 0;
    }
    for (i = 0; i < a->nd; i++) {
        if (a->dimensions[i] != b->dimensions[i]) {
            return 0;
        }
    }
    return 1;
}

/* ufunc(*inputs) for the GuardedArray `owner`, if this path may run it.
   Returns 1 with *result set, 0 when it declines (no exception set), -1 on an error
   (NumPy's own included). */
static int
attempt(FastPath *fp, PyObject *ufunc, PyObject *owner, PyObject *const *inputs,
        Py_ssize_t n, PyObject **result)
{
    PyObject *plain[MAX_INPUTS + 1], *out;
    const ArrayHead *first = NULL;
    Py_ssize_t per_element = fp->slack, size, small, i;
    int shapes_differ = 0, off, found;

    *result = NULL;
    if (n < 1 || n > MAX_INPUTS) {
        return 0;
    }
    found = is_guarded(fp, Py_TYPE(owner));
    if (found <= 0) {
        return found;
    }
    /* The settings first: reading them may run Python code (a new Settings), and none
       may run between reading the operands' shapes and the kernel's own reading. */
    if (settings_in_force(fp, &off, &small) < 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        PyObject *x = inputs[i];
        if (Py_IS_TYPE(x, fp->guarded) || Py_IS_TYPE(x, fp->ndarray)) {
            const ArrayHead *array = (const ArrayHead *)x;
            int num = array->descr->type_num;
            if (num < 0 || num >= TYPE_NUMS || fp->itemsizes[num] == 0) {
                return 0;
            }
            per_element += fp->itemsizes[num];
            if (first == NULL) {
                first = array;
            }
            else if (!same_shape(first, array)) {
                shapes_differ = 1;
            }
        }
        else if (is_python_scalar(x)) {
            per_element += fp->scalar_itemsize;
        }
        else {
            return 0;
        }
    }
    if (first == NULL) {
        return 0;
    }
    if (!off) {
        if (shapes_differ || small < 0) {
            return 0;
        }
        size = 1;
        for (i = 0; i < first->nd; i++) {
            size *= first->dimensions[i];  /* an existing array's size fits */
        }
        if (size > small / per_element) {
            return 0;
        }
    }
    /* The kernel, on plain views (plain[0] is room for PY_VECTORCALL_ARGUMENTS_OFFSET). */
    for (i = 0; i < n; i++) {
        PyObject *x = inputs[i];
        if (i > 0 && x == inputs[0]) {
            plain[i + 1] = Py_NewRef(plain[1]);  /* w + w: one view */
        }
        else if (Py_IS_TYPE(x, fp->guarded)) {
            plain[i + 1] = view_as(fp, x, fp->ndarray);
            if (plain[i + 1] == NULL) {
                while (--i >= 0) {
                    Py_DECREF(plain[i + 1]);
                }
                return -1;
            }
        }
        else {
            plain[i + 1] = Py_NewRef(x);
        }
    }
    out = PyObject_Vectorcall(ufunc, plain + 1, (size_t)n | PY_VECTORCALL_ARGUMENTS_OFFSET,
                              NULL);
    for (i = 0; i < n; i++) {
        Py_DECREF(plain[i + 1]);
    }
    if (out == NULL) {
        return -1;
    }
    *result = guarded_result(fp, out);
    return *result == NULL ? -1 : 1;
}

/* -- the entries --------------------------------------------------------------------- */

/* `__array_ufunc__(self, ufunc, method, *inputs, **kwargs)`. */
static int
array_ufunc_attempt(Entry *entry, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                    PyObject **result)
{
    FastPath *fp = entry->fastpath;
    PyObject *ufunc, *method, *nin;
    Py_ssize_t n = nargs - 3;

    *result = NULL;
    if ((kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0) || n < 1 || n > MAX_INPUTS) {
        return 0;
    }
    ufunc = args[1];
    method = args[2];
    if (method != str_call && !(PyUnicode_CheckExact(method)
                                && PyUnicode_Compare(method, str_call) == 0)) {
        return 0;
    }
    if (!Py_IS_TYPE(ufunc, fp->ufunc_type)) {
        return 0;
    }
    nin = PyDict_GetItemWithError(fp->ufuncs, ufunc);
    if (nin == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    if (PyLong_AsSsize_t(nin) != n) {
        return PyErr_Occurred() ? -1 : 0;
    }
    return attempt(fp, ufunc, args[0], args + 3, n, result);
}

/* An operator: `self <op> other`. */
static int
operator_attempt(Entry *entry, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                 PyObject **result)
{
    *result = NULL;
    if ((kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0) || nargs != 2) {
        return 0;
    }
    return attempt(entry->fastpath, entry->ufunc, args[0], args, 2, result);
}

static int
entry_attempt(Entry *entry, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
              PyObject **result)
{
    if (entry->ufunc == NULL) {
        return array_ufunc_attempt(entry, args, nargs, kwnames, result);
    }
    return operator_attempt(entry, args, nargs, kwnames, result);
}

static PyObject *
entry_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Entry *entry = (Entry *)self;
    PyObject *result;
    int done = entry_attempt(entry, args, PyVectorcall_NARGS(nargsf), kwnames, &result);
    if (done > 0) {
        return result;
    }
    if (done < 0) {
        return NULL;
    }
    return PyObject_Vectorcall(entry->python, args, nargsf, kwnames);
}

PyDoc_STRVAR(entry_attempt_doc,
"attempt(*args, **kwargs) -> (handled, result)\n\n"
"The C path alone, for tests: (True, result) when it ran the call, (False, None) when\n"
"it declines (the entry would then call its Python method).");

static PyObject *
entry_attempt_method(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    PyObject *result;
    int done = entry_attempt((Entry *)self, args, nargs, kwnames, &result);
    if (done < 0) {
        return NULL;
    }
    if (done == 0) {
        return Py_BuildValue("(OO)", Py_False, Py_None);
    }
    return Py_BuildValue("(ON)", Py_True, result);
}

/* Bound like a function: `w.__add__` is a method; `GuardedArray.__add__` the entry. */
static PyObject *
entry_descr_get(PyObject *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None) {
        return Py_NewRef(self);
    }
    return PyMethod_New(self, obj);
}

static PyObject *
entry_python_attribute(PyObject *self, void *name)
{
    return PyObject_GetAttrString(((Entry *)self)->python, (const char *)name);
}

static PyObject *
entry_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<numguard C fast path before %R>", ((Entry *)self)->python);
}

static int
entry_traverse(PyObject *self, visitproc visit, void *arg)
{
    Entry *entry = (Entry *)self;
    Py_VISIT(entry->fastpath);
    Py_VISIT(entry->ufunc);
    Py_VISIT(entry->python);
    return 0;
}

static int
entry_clear(PyObject *self)
{
    Entry *entry = (Entry *)self;
    Py_CLEAR(entry->fastpath);
    Py_CLEAR(entry->ufunc);
    Py_CLEAR(entry->python);
    return 0;
}

static void
entry_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    entry_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static PyMethodDef entry_methods[] = {
    {"attempt", (PyCFunction)(void (*)(void))entry_attempt_method,
     METH_FASTCALL | METH_KEYWORDS, entry_attempt_doc},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef entry_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(Entry, python), READONLY,
     "The Python method this entry calls when it declines."},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef entry_getset[] = {
    {"__name__", entry_python_attribute, NULL, NULL, "__name__"},
    {"__qualname__", entry_python_attribute, NULL, NULL, "__qualname__"},
    {"__doc__", entry_python_attribute, NULL, NULL, "__doc__"},
    {"__module__", entry_python_attribute, NULL, NULL, "__module__"},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject EntryType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "numguard.guarded._fastpath.Entry",
    .tp_basicsize = sizeof(Entry),
    .tp_dealloc = entry_dealloc,
    .tp_vectorcall_offset = offsetof(Entry, vectorcall),
    .tp_repr = entry_repr,
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL
                | Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "A C entry standing in front of a Python method of GuardedArray.",
    .tp_traverse = entry_traverse,
    .tp_clear = entry_clear,
    .tp_methods = entry_methods,
    .tp_members = entry_members,
    .tp_getset = entry_getset,
    .tp_descr_get = entry_descr_get,
};

static PyObject *
new_entry(FastPath *fp, PyObject *ufunc, PyObject *python)
{
    Entry *entry;
    if (!PyCallable_Check(python)) {
        PyErr_SetString(PyExc_TypeError, "the Python method must be callable");
        return NULL;
    }
    entry = PyObject_GC_New(Entry, &EntryType);
    if (entry == NULL) {
        return NULL;
    }
    entry->fastpath = (FastPath *)Py_NewRef((PyObject *)fp);
    entry->ufunc = Py_XNewRef(ufunc);
    entry->python = Py_NewRef(python);
    entry->vectorcall = entry_vectorcall;
    PyObject_GC_Track((PyObject *)entry);
    return (PyObject *)entry;
}

/* -- FastPath ------------------------------------------------------------------------ */

PyDoc_STRVAR(fastpath_array_ufunc_doc,
"array_ufunc(python) -> the __array_ufunc__ entry standing in front of `python`.");

static PyObject *
fastpath_array_ufunc(PyObject *self, PyObject *python)
{
    return new_entry((FastPath *)self, NULL, python);
}

PyDoc_STRVAR(fastpath_operator_doc,
"operator(ufunc, python) -> the entry of a binary operator that is `ufunc(self, other)`,\n"
"standing in front of `python`.");

static PyObject *
fastpath_operator(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    FastPath *fp = (FastPath *)self;
    PyObject *nin;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "operator(ufunc, python) takes 2 arguments");
        return NULL;
    }
    nin = Py_IS_TYPE(args[0], fp->ufunc_type) ? PyDict_GetItemWithError(fp->ufuncs, args[0])
                                              : NULL;
    if (nin == NULL || PyLong_AsSsize_t(nin) != 2) {
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_ValueError, "%R is not a binary element-wise ufunc of the "
                         "registry", args[0]);
        }
        return NULL;
    }
    return new_entry(fp, args[0], args[1]);
}

/* FastPath trusts ArrayHead and DescrHead only after they read these samples right:
   a list of (array, shape, type_num). */
static int
check_layout(FastPath *fp, PyObject *samples)
{
    Py_ssize_t i, j;
    if (!PyList_Check(samples) || PyList_GET_SIZE(samples) == 0) {
        PyErr_SetString(PyExc_TypeError, "samples must be a non-empty list");
        return -1;
    }
    for (i = 0; i < PyList_GET_SIZE(samples); i++) {
        PyObject *sample = PyList_GET_ITEM(samples, i), *array, *shape;
        const ArrayHead *head;
        long num;
        if (!PyTuple_Check(sample) || PyTuple_GET_SIZE(sample) != 3) {
            PyErr_SetString(PyExc_TypeError, "a sample is (array, shape, type_num)");
            return -1;
        }
        array = PyTuple_GET_ITEM(sample, 0);
        shape = PyTuple_GET_ITEM(sample, 1);
        num = PyLong_AsLong(PyTuple_GET_ITEM(sample, 2));
        if (num == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (!Py_IS_TYPE(array, fp->ndarray) || !PyTuple_Check(shape)) {
            PyErr_SetString(PyExc_TypeError, "a sample is (ndarray, tuple, int)");
            return -1;
        }
        head = (const ArrayHead *)array;
        if (head->nd != PyTuple_GET_SIZE(shape) || head->descr == NULL
            || head->descr->type_num != num) {
            goto differs;
        }
        for (j = 0; j < head->nd; j++) {
            Py_ssize_t side = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, j));
            if (side == -1 && PyErr_Occurred()) {
                return -1;
            }
            if (head->dimensions[j] != side) {
                goto differs;
            }
        }
    }
    return 0;
differs:
    PyErr_SetString(PyExc_RuntimeError,
                    "NumPy's array layout is not the one numguard's C fast path reads");
    return -1;
}

static int
fill_itemsizes(FastPath *fp, PyObject *itemsizes)
{
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    if (!PyDict_Check(itemsizes)) {
        PyErr_SetString(PyExc_TypeError, "itemsizes must be a dict {type_num: itemsize}");
        return -1;
    }
    while (PyDict_Next(itemsizes, &pos, &key, &value)) {
        long num = PyLong_AsLong(key);
        Py_ssize_t size = PyLong_AsSsize_t(value);
        if (PyErr_Occurred()) {
            return -1;
        }
        if (num < 0 || num >= TYPE_NUMS || (num >= OBJECT_NUM && num <= TIMEDELTA_NUM)
            || size <= 0) {
            PyErr_Format(PyExc_ValueError, "itemsizes: %ld -> %zd is not a builtin "
                         "numeric type", num, size);
            return -1;
        }
        fp->itemsizes[num] = size;
    }
    return 0;
}

static PyObject *
fastpath_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"ndarray", "ufunc_type", "scoped", "namespace", "small_bound",
                               "guarded_base", "ufuncs", "itemsizes", "slack",
                               "scalar_itemsize", "samples", NULL};
    PyObject *ndarray, *ufunc_type, *scoped, *namespace, *small_bound, *guarded_base,
        *ufuncs, *itemsizes, *samples;
    Py_ssize_t slack, scalar_itemsize;
    FastPath *fp;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "$O!O!OO!OO!O!O!nnO!:FastPath", keywords,
                                     &PyType_Type, &ndarray, &PyType_Type, &ufunc_type,
                                     &scoped, &PyDict_Type, &namespace, &small_bound,
                                     &PyType_Type, &guarded_base, &PyDict_Type, &ufuncs, &PyDict_Type,
                                     &itemsizes, &slack, &scalar_itemsize, &PyList_Type,
                                     &samples)) {
        return NULL;
    }
    if (!PyContextVar_CheckExact(scoped) || !PyCallable_Check(small_bound)) {
        PyErr_SetString(PyExc_TypeError, "scoped must be a ContextVar, small_bound callable");
        return NULL;
    }
    if (slack < 0 || scalar_itemsize <= 0) {
        PyErr_SetString(PyExc_ValueError, "slack >= 0 and scalar_itemsize > 0");
        return NULL;
    }
    fp = (FastPath *)type->tp_alloc(type, 0);
    if (fp == NULL) {
        return NULL;
    }
    fp->ndarray = (PyTypeObject *)Py_NewRef(ndarray);
    fp->ufunc_type = (PyTypeObject *)Py_NewRef(ufunc_type);
    fp->scoped = Py_NewRef(scoped);
    fp->namespace = Py_NewRef(namespace);
    fp->small_bound = Py_NewRef(small_bound);
    fp->guarded_base = Py_NewRef(guarded_base);
    fp->ufuncs = PyDict_Copy(ufuncs);  /* never changes after this */
    fp->slack = slack;
    fp->scalar_itemsize = scalar_itemsize;
    fp->cached_small = -1;
    fp->view = PyObject_GetAttrString(ndarray, "view");
    if (fp->ufuncs == NULL || fp->view == NULL || fill_itemsizes(fp, itemsizes) < 0
        || check_layout(fp, samples) < 0) {
        Py_DECREF(fp);
        return NULL;
    }
    return (PyObject *)fp;
}

static int
fastpath_traverse(PyObject *self, visitproc visit, void *arg)
{
    FastPath *fp = (FastPath *)self;
    Py_VISIT(fp->ndarray);
    Py_VISIT(fp->ufunc_type);
    Py_VISIT(fp->view);
    Py_VISIT(fp->scoped);
    Py_VISIT(fp->namespace);
    Py_VISIT(fp->small_bound);
    Py_VISIT(fp->guarded_base);
    Py_VISIT(fp->ufuncs);
    Py_VISIT(fp->guarded);
    Py_VISIT(fp->cached_settings);
    return 0;
}

static int
fastpath_clear(PyObject *self)
{
    FastPath *fp = (FastPath *)self;
    Py_CLEAR(fp->ndarray);
    Py_CLEAR(fp->ufunc_type);
    Py_CLEAR(fp->view);
    Py_CLEAR(fp->scoped);
    Py_CLEAR(fp->namespace);
    Py_CLEAR(fp->small_bound);
    Py_CLEAR(fp->guarded_base);
    Py_CLEAR(fp->ufuncs);
    Py_CLEAR(fp->guarded);
    Py_CLEAR(fp->cached_settings);
    return 0;
}

static void
fastpath_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    fastpath_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static PyMethodDef fastpath_methods[] = {
    {"array_ufunc", fastpath_array_ufunc, METH_O, fastpath_array_ufunc_doc},
    {"operator", (PyCFunction)(void (*)(void))fastpath_operator, METH_FASTCALL,
     fastpath_operator_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(fastpath_doc,
"FastPath(*, ndarray, ufunc_type, scoped, namespace, small_bound, guarded_base, ufuncs,\n"
"         itemsizes, slack, scalar_itemsize, samples)\n\n"
"What the C entries read: NumPy's classes, numguard's settings (the ContextVar, the\n"
"settings module's globals, policy.small_bound), deferral.Guarded, the registries of\n"
"element-wise ufuncs {ufunc: nin} and numeric dtypes {type_num: itemsize}, and sample\n"
"arrays [(array, shape, type_num)] the layout is checked against. Holds the settings\n"
"cache; makes the entries (array_ufunc, operator).");

static PyTypeObject FastPathType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "numguard.guarded._fastpath.FastPath",
    .tp_basicsize = sizeof(FastPath),
    .tp_dealloc = fastpath_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = fastpath_doc,
    .tp_traverse = fastpath_traverse,
    .tp_clear = fastpath_clear,
    .tp_methods = fastpath_methods,
    .tp_new = fastpath_new,
};

/* -- the module ---------------------------------------------------------------------- */

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "numguard.guarded._fastpath",
    .m_doc = "GuardedArray's element-wise ufunc calls that cannot trip, in C "
             "(see numguard/guarded/_fastpath.c).",
    .m_size = -1,
};

static int
intern(PyObject **slot, const char *text)
{
    if (*slot == NULL) {
        *slot = PyUnicode_InternFromString(text);
    }
    return *slot == NULL ? -1 : 0;
}

PyMODINIT_FUNC
PyInit__fastpath(void)
{
    PyObject *m;
    if (intern(&str_process, "_process") < 0 || intern(&str_settings, "settings") < 0
        || intern(&str_mode, "mode") < 0 || intern(&str_call, "__call__") < 0
        || intern(&str_for_ndarray, "_for_ndarray") < 0
        || intern(&str_unguarded, "_unguarded") < 0) {
        return NULL;
    }
    if (PyType_Ready(&EntryType) < 0 || PyType_Ready(&FastPathType) < 0) {
        return NULL;
    }
    m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(m, "FastPath", (PyObject *)&FastPathType) < 0
        || PyModule_AddObjectRef(m, "Entry", (PyObject *)&EntryType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
