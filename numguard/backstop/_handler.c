/*
 * numguard.backstop._handler: the allocation backstop's fast path, in C.
 *
 * NumPy (NEP 49) allocates array data through a PyDataMem_Handler found in a capsule
 * named "mem_handler". Every thread and every context that has not set a handler of
 * its own uses one capsule, PyDataMem_DefaultHandler (the default of NumPy's
 * ContextVar; before Python 3.14 a new thread starts there). install() re-points that
 * capsule at `guarded`, whose functions wrap the handler it pointed to before:
 *
 *   - small requests (size <= fast_max) go straight to the wrapped function: one
 *     compare and one indirect call;
 *   - larger ones ask the Python callable `decide(nbytes, kind)` (with the GIL: NumPy
 *     usually holds it when it allocates, else PyGILState_Ensure takes it on this
 *     thread's own state; see holds_gil), which judges them
 *     against the budget, reports, and answers allow (true) or refuse (false). A
 *     refusal returns NULL before any memory is requested: NumPy then raises its own
 *     MemoryError with the shape and dtype.
 *   - free is the wrapped handler's own free, so memory allocated before arming, while
 *     armed, or after disarming is always released by the allocator that made it.
 *
 * When Python cannot be asked (no callback, a nested allocation made by the callback
 * itself, interpreter finalisation) or the callback fails, the verdict is C's own:
 * allow up to hard_max. No Python exception ever leaves a handler function: a pending
 * exception is saved and restored around the callback, and a failing callback is
 * reported through sys.unraisablehook.
 *
 * The struct below is NEP 49's version-1 PyDataMem_Handler (numpy/ndarraytypes.h),
 * whose layout is part of NumPy's ABI; declaring it here keeps NumPy out of the build.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    void (*free)(void *ctx, void *ptr, size_t size);
} DataMemAllocator;

typedef struct {
    char name[127];
    uint8_t version;
    DataMemAllocator allocator;
} DataMemHandler;

#define CAPSULE_NAME "mem_handler"

enum { KIND_MALLOC = 0, KIND_CALLOC = 1, KIND_REALLOC = 2 };

static DataMemHandler *wrapped = NULL;   /* what the capsule pointed to before install() */
static DataMemAllocator inner;           /* a copy of wrapped->allocator */
static PyObject *capsule = NULL;         /* the re-pointed capsule (a strong reference) */
static PyObject *decide = NULL;          /* decide(nbytes, kind) -> bool, or NULL */
static size_t fast_max = SIZE_MAX;       /* at most this many bytes: no questions asked */
static size_t hard_max = SIZE_MAX;       /* C's own verdict when Python cannot be asked */
static unsigned long long slow_calls = 0, refusals = 0;
#if defined(_MSC_VER)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL _Thread_local
#endif
static THREAD_LOCAL int deciding = 0;    /* this thread is inside decide() */

static int
is_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

/* Whether the calling thread holds the GIL. NumPy usually calls its handler with the
   GIL held, but not always: np.fromstring/np.fromfile with sep= grow their buffer
   with the GIL released (array_from_text), on whichever thread runs them.

   - Python 3.12 and later: the current thread state is thread-local; it is NULL on a
     thread that released the GIL (or never had a thread state), so it answers alone.
   - Python 3.10 and 3.11: _PyThreadState_UncheckedGet() is the state of whichever
     thread holds the GIL, not the caller's. The caller holds it exactly when that is
     the caller's own state, PyGILState_GetThisThreadState() (thread-local). This is
     PyGILState_Check() without its shortcut: Check answers "yes" unconditionally once
     a sub-interpreter has existed, which would send a thread without the GIL into
     Python. Only pointers are compared: the holder's state is never dereferenced
     (another thread may free it meanwhile).
   Residual case (3.10/3.11 only): a thread that holds the GIL through a thread state
   other than its PyGILState one (a sub-interpreter, which NumPy refuses to load in,
   or a hand-made PyThreadState_New) reads as "not holding" and would wait on itself
   in PyGILState_Ensure. */
static int
holds_gil(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return PyThreadState_GetUnchecked() != NULL;
#elif PY_VERSION_HEX >= 0x030C0000
    return _PyThreadState_UncheckedGet() != NULL;
#else
    PyThreadState *mine = PyGILState_GetThisThreadState();
    return mine != NULL && mine == _PyThreadState_UncheckedGet();
#endif
}

/* 1: allocate, 0: refuse. Never leaves a Python exception set. */
static int
allowed(size_t nbytes, int kind)
{
    if (deciding || decide == NULL || is_finalizing()) {
        return nbytes <= hard_max;
    }
    /* With the GIL held (the normal case), call straight in; without it, take it the
       documented way, on this thread's own state (PyGILState_Ensure creates one for a
       thread that never had one), and give it back before returning to NumPy. */
    int ensured = !holds_gil();
    PyGILState_STATE gil = ensured ? PyGILState_Ensure() : PyGILState_UNLOCKED;
    int verdict;
    PyObject *callback = decide;
    if (callback == NULL) {  /* disarmed while this thread waited for the GIL */
        verdict = nbytes <= hard_max;
        if (ensured) {
            PyGILState_Release(gil);
        }
        return verdict;
    }
    Py_INCREF(callback);
    deciding = 1;
    slow_calls++;
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *result = PyObject_CallFunction(callback, "Ki", (unsigned long long)nbytes, kind);
    if (result == NULL) {
        PyErr_WriteUnraisable(callback);
        verdict = nbytes <= hard_max;
    }
    else {
        verdict = PyObject_IsTrue(result);
        Py_DECREF(result);
        if (verdict < 0) {
            PyErr_WriteUnraisable(callback);
            verdict = nbytes <= hard_max;
        }
    }
    PyErr_Restore(type, value, traceback);
    if (!verdict) {
        refusals++;
    }
    deciding = 0;
    Py_DECREF(callback);
    if (ensured) {
        PyGILState_Release(gil);
    }
    return verdict;
}

static void *
guarded_malloc(void *ctx, size_t size)
{
    if (size <= fast_max || allowed(size, KIND_MALLOC)) {
        return inner.malloc(inner.ctx, size);
    }
    return NULL;
}

static void *
guarded_calloc(void *ctx, size_t nelem, size_t elsize)
{
    size_t size = (elsize != 0 && nelem > SIZE_MAX / elsize) ? SIZE_MAX : nelem * elsize;
    if (size <= fast_max || allowed(size, KIND_CALLOC)) {
        return inner.calloc(inner.ctx, nelem, elsize);
    }
    return NULL;
}

static void *
guarded_realloc(void *ctx, void *ptr, size_t new_size)
{
    /* A refusal returns NULL and leaves `ptr` valid, as realloc does. */
    if (new_size <= fast_max || allowed(new_size, KIND_REALLOC)) {
        return inner.realloc(inner.ctx, ptr, new_size);
    }
    return NULL;
}

static DataMemHandler guarded = {
    "numguard_backstop",
    1,
    {NULL, guarded_malloc, guarded_calloc, guarded_realloc, NULL},
};

static PyObject *
handler_install(PyObject *module, PyObject *target)
{
    if (capsule != NULL) {
        if (capsule == target) {
            Py_RETURN_FALSE;
        }
        PyErr_SetString(PyExc_RuntimeError, "the backstop is installed on another capsule");
        return NULL;
    }
    DataMemHandler *current = (DataMemHandler *)PyCapsule_GetPointer(target, CAPSULE_NAME);
    if (current == NULL) {
        return NULL;
    }
    if (current == &guarded) {
        PyErr_SetString(PyExc_RuntimeError, "the capsule already points at the backstop");
        return NULL;
    }
    if (current->version < 1 || current->allocator.malloc == NULL ||
            current->allocator.calloc == NULL || current->allocator.realloc == NULL ||
            current->allocator.free == NULL) {
        PyErr_Format(PyExc_RuntimeError, "unsupported memory handler %.127s (version %d)",
                     current->name, (int)current->version);
        return NULL;
    }
    wrapped = current;
    inner = current->allocator;
    /* free and ctx are the wrapped handler's own: no wrapper on the free path. */
    guarded.allocator.ctx = inner.ctx;
    guarded.allocator.free = inner.free;
    if (PyCapsule_SetPointer(target, &guarded) < 0) {
        wrapped = NULL;
        return NULL;
    }
    Py_INCREF(target);
    capsule = target;
    Py_RETURN_TRUE;
}

static PyObject *
handler_uninstall(PyObject *module, PyObject *unused)
{
    if (capsule == NULL) {
        Py_RETURN_FALSE;
    }
    if (PyCapsule_SetPointer(capsule, wrapped) < 0) {
        return NULL;
    }
    /* Arrays made while armed hold this capsule and are freed by `wrapped`, which
       allocated them: nothing else needs to outlive the backstop. */
    Py_CLEAR(capsule);
    wrapped = NULL;
    Py_RETURN_TRUE;
}

static PyObject *
handler_configure(PyObject *module, PyObject *args)
{
    unsigned long long new_fast, new_hard;
    PyObject *callback;
    if (!PyArg_ParseTuple(args, "KKO:configure", &new_fast, &new_hard, &callback)) {
        return NULL;
    }
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "decide must be callable or None");
        return NULL;
    }
    fast_max = new_fast > SIZE_MAX ? SIZE_MAX : (size_t)new_fast;
    hard_max = new_hard > SIZE_MAX ? SIZE_MAX : (size_t)new_hard;
    PyObject *old = decide;
    if (callback == Py_None) {
        decide = NULL;
    }
    else {
        Py_INCREF(callback);
        decide = callback;
    }
    Py_XDECREF(old);
    Py_RETURN_NONE;
}

static PyObject *
handler_state(PyObject *module, PyObject *unused)
{
    return Py_BuildValue(
        "{s:O,s:s,s:K,s:K,s:O,s:K,s:K}",
        "installed", capsule != NULL ? Py_True : Py_False,
        "wraps", wrapped != NULL ? wrapped->name : "",
        "fast_max", (unsigned long long)fast_max,
        "hard_max", (unsigned long long)hard_max,
        "decide", decide != NULL ? decide : Py_None,
        "slow_calls", slow_calls,
        "refusals", refusals);
}

static PyMethodDef methods[] = {
    {"install", handler_install, METH_O,
     "install(capsule): re-point a 'mem_handler' capsule at the backstop; False if already."},
    {"uninstall", handler_uninstall, METH_NOARGS,
     "uninstall(): restore the capsule's handler; False if not installed."},
    {"configure", handler_configure, METH_VARARGS,
     "configure(fast_max, hard_max, decide): thresholds in bytes, and the Python judge."},
    {"state", handler_state, METH_NOARGS, "state(): the current configuration and counters."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_handler",
    "The allocation backstop's NEP 49 handler (see the C source for the design).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__handler(void)
{
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "KIND_MALLOC", KIND_MALLOC) < 0 ||
            PyModule_AddIntConstant(module, "KIND_CALLOC", KIND_CALLOC) < 0 ||
            PyModule_AddIntConstant(module, "KIND_REALLOC", KIND_REALLOC) < 0 ||
            PyModule_AddStringConstant(module, "NAME", guarded.name) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
