/*
 * numguard.backstop._handler: the allocation backstop's fast path, in C.
 *
 * NumPy (NEP 49) allocates array data through a PyDataMem_Handler found in a capsule
 * named "mem_handler". Every thread and every context that has not set a handler of
 * its own uses one capsule, PyDataMem_DefaultHandler (the default of NumPy's
 * ContextVar; before Python 3.14 a new thread starts there). install() re-points that
 * capsule at `guarded`, whose functions wrap the handler it pointed to before:
 *
 *   - requests up to fast_floor go straight to the wrapped function: one compare and
 *     one indirect call;
 *   - requests up to fast_max do the same while the last budget reading is fresh
 *     (monotonic clock < fresh_until): memory may shrink after a reading, so a stale
 *     one is not trusted for large requests;
 *   - larger ones ask the Python callable `decide(nbytes, kind, repeat)` (with the GIL:
 *     NumPy usually holds it when it allocates, else PyGILState_Ensure takes it on this
 *     thread's own state; see holds_gil), which judges them against the budget, reports,
 *     and answers bit flags: ALLOW (1), INTERRUPT (2: a KeyboardInterrupt arrived while
 *     judging; re-deliver it), REPORTED (4: a trip was reported; `repeat` tells the next
 *     realloc of the same buffer, so np.fromstring growing its buffer reports once).
 *     A refusal returns NULL before any memory is requested: NumPy then raises its own
 *     MemoryError with the shape and dtype.
 *   - free is the wrapped handler's own free, so memory allocated before arming, while
 *     armed, or after disarming is always released by the allocator that made it.
 *
 * When Python cannot be asked (no callback, a nested allocation made by the callback
 * itself, interpreter finalisation) the verdict is C's own: allow up to hard_max. When
 * the callback fails (it could not even start: the recursion limit; or a
 * KeyboardInterrupt arrived on its way out), judging failed: the request is refused if
 * the allocating context's mode is "raise" (its guard block's Scope, read from the
 * `scopes` ContextVar, else the armed process's), allowed otherwise, and a
 * KeyboardInterrupt is delivered again (PyErr_SetInterrupt) so that Ctrl-C stops the
 * program as promptly as without numguard. No Python exception ever leaves a handler
 * function: a pending exception is saved and restored around the callback.
 *
 * The struct below is NEP 49's version-1 PyDataMem_Handler (numpy/ndarraytypes.h),
 * whose layout is part of NumPy's ABI; declaring it here keeps NumPy out of the build.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

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
enum { VERDICT_ALLOW = 1, VERDICT_INTERRUPT = 2, VERDICT_REPORTED = 4 };

static DataMemHandler *wrapped = NULL;   /* what the capsule pointed to before install() */
static DataMemAllocator inner;           /* a copy of wrapped->allocator */
static PyObject *capsule = NULL;         /* the re-pointed capsule (a strong reference) */
static PyObject *decide = NULL;          /* decide(nbytes, kind, repeat) -> flags, or NULL */
static PyObject *scopes = NULL;          /* the ContextVar of guard blocks' Scopes, or NULL */
static int process_refuses = 0;          /* outside blocks, a failed judgement refuses */
static size_t fast_floor = SIZE_MAX;     /* at most this many bytes: no questions asked */
static size_t fast_max = SIZE_MAX;       /* at most this many, while the reading is fresh */
static double fresh_until = 0.0;         /* monotonic seconds: the reading's age limit */
static size_t hard_max = SIZE_MAX;       /* C's own verdict when Python cannot be asked */
static unsigned long long slow_calls = 0, refusals = 0, failures = 0;
#if defined(_MSC_VER)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL _Thread_local
#endif
static THREAD_LOCAL int deciding = 0;    /* this thread is inside decide() */
static THREAD_LOCAL void *grown = NULL;  /* the buffer whose last growth was reported */

static int
is_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

/* Whether the last budget reading may still stand (CLOCK_MONOTONIC is what Python's
   time.monotonic() reads on Linux and the BSDs; elsewhere a reading is never trusted
   past the floor, which costs Python calls, never verdicts). */
static int
reading_is_fresh(void)
{
#if defined(CLOCK_MONOTONIC) && !defined(_WIN32)
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
        return 0;
    }
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9 < fresh_until;
#else
    return 0;
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

/* Whether the allocating context refuses when judging failed: its guard block's mode
   is "raise" (the Scope in `scopes`), else the armed process's. Anything unreadable
   refuses. Called with the GIL and no exception set; leaves none. */
static int
context_refuses(void)
{
    PyObject *scope = NULL, *settings = NULL, *mode = NULL;
    int refuse = 1;
    if (scopes == NULL) {
        return process_refuses;
    }
    if (PyContextVar_Get(scopes, NULL, &scope) < 0) {
        PyErr_Clear();
        return 1;
    }
    if (scope == NULL || scope == Py_None) {
        Py_XDECREF(scope);
        return process_refuses;
    }
    settings = PyObject_GetAttrString(scope, "settings");
    if (settings != NULL) {
        mode = PyObject_GetAttrString(settings, "mode");
    }
    if (mode != NULL && PyUnicode_Check(mode)) {
        refuse = PyUnicode_CompareWithASCIIString(mode, "raise") == 0;
    }
    if (PyErr_Occurred()) {
        PyErr_Clear();
        refuse = 1;
    }
    Py_XDECREF(mode);
    Py_XDECREF(settings);
    Py_DECREF(scope);
    return refuse;
}

/* The callback failed (it left an exception set): the verdict of a failed judgement. */
static int
failed_verdict(size_t nbytes)
{
    PyObject *type, *value, *traceback;
    int interrupt = PyErr_ExceptionMatches(PyExc_KeyboardInterrupt);
    PyErr_Fetch(&type, &value, &traceback);
    int verdict = context_refuses() ? 0 : VERDICT_ALLOW;
    failures++;
    if (interrupt) {
        verdict |= VERDICT_INTERRUPT;
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(traceback);
    }
    else {  /* sys.unraisablehook: where Python reports what cannot be raised */
        PyErr_Restore(type, value, traceback);
        PyErr_WriteUnraisable(decide);
    }
    (void)nbytes;
    return verdict;
}

/* The verdict flags for a request above the fast bounds. Never leaves an exception set. */
static int
verdict_for(size_t nbytes, int kind, int repeat)
{
    if (deciding || decide == NULL || is_finalizing()) {
        return nbytes <= hard_max ? VERDICT_ALLOW : 0;
    }
    /* With the GIL held (the normal case), call straight in; without it, take it the
       documented way, on this thread's own state (PyGILState_Ensure creates one for a
       thread that never had one), and give it back before returning to NumPy. */
    int ensured = !holds_gil();
    PyGILState_STATE gil = ensured ? PyGILState_Ensure() : PyGILState_UNLOCKED;
    int verdict;
    PyObject *callback = decide;
    if (callback == NULL) {  /* disarmed while this thread waited for the GIL */
        verdict = nbytes <= hard_max ? VERDICT_ALLOW : 0;
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
    PyObject *result = PyObject_CallFunction(callback, "Kii", (unsigned long long)nbytes,
                                             kind, repeat);
    if (result == NULL) {
        verdict = failed_verdict(nbytes);
    }
    else {
        long flags = PyLong_AsLong(result);
        Py_DECREF(result);
        verdict = (flags == -1 && PyErr_Occurred()) ? failed_verdict(nbytes) : (int)flags;
    }
    PyErr_Restore(type, value, traceback);
    if (verdict & VERDICT_INTERRUPT) {
        PyErr_SetInterrupt();  /* Ctrl-C reaches the program as soon as NumPy returns */
    }
    if (!(verdict & VERDICT_ALLOW)) {
        refusals++;
    }
    deciding = 0;
    Py_DECREF(callback);
    if (ensured) {
        PyGILState_Release(gil);
    }
    return verdict;
}

/* After an allocation: follow the buffer whose growth was reported, and forget it when
   its address is reused by another allocation. */
static void *
follow(void *result, void *ptr, int verdict)
{
    if (result != NULL) {
        if (verdict & VERDICT_REPORTED || (ptr != NULL && ptr == grown)) {
            grown = result;
        }
        else if (result == grown) {
            grown = NULL;
        }
    }
    return result;
}

static void *
guarded_malloc(void *ctx, size_t size)
{
    if (size <= fast_floor || (size <= fast_max && reading_is_fresh())) {
        void *result = inner.malloc(inner.ctx, size);
        if (result != NULL && result == grown) {
            grown = NULL;
        }
        return result;
    }
    int verdict = verdict_for(size, KIND_MALLOC, 0);
    if (verdict & VERDICT_ALLOW) {
        return follow(inner.malloc(inner.ctx, size), NULL, verdict);
    }
    return NULL;
}

static void *
guarded_calloc(void *ctx, size_t nelem, size_t elsize)
{
    size_t size = (elsize != 0 && nelem > SIZE_MAX / elsize) ? SIZE_MAX : nelem * elsize;
    if (size <= fast_floor || (size <= fast_max && reading_is_fresh())) {
        void *result = inner.calloc(inner.ctx, nelem, elsize);
        if (result != NULL && result == grown) {
            grown = NULL;
        }
        return result;
    }
    int verdict = verdict_for(size, KIND_CALLOC, 0);
    if (verdict & VERDICT_ALLOW) {
        return follow(inner.calloc(inner.ctx, nelem, elsize), NULL, verdict);
    }
    return NULL;
}

static void *
guarded_realloc(void *ctx, void *ptr, size_t new_size)
{
    /* A refusal returns NULL and leaves `ptr` valid, as realloc does. */
    if (new_size <= fast_floor || (new_size <= fast_max && reading_is_fresh())) {
        return follow(inner.realloc(inner.ctx, ptr, new_size), ptr, 0);
    }
    int verdict = verdict_for(new_size, KIND_REALLOC, ptr != NULL && ptr == grown);
    if (verdict & VERDICT_ALLOW) {
        return follow(inner.realloc(inner.ctx, ptr, new_size), ptr, verdict);
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
    unsigned long long new_floor, new_fast, new_hard;
    double new_fresh;
    PyObject *callback, *new_scopes;
    int new_process_refuses;
    if (!PyArg_ParseTuple(args, "KKdKOOp:configure", &new_floor, &new_fast, &new_fresh,
                          &new_hard, &callback, &new_scopes, &new_process_refuses)) {
        return NULL;
    }
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "decide must be callable or None");
        return NULL;
    }
    if (new_scopes != Py_None && !PyContextVar_CheckExact(new_scopes)) {
        PyErr_SetString(PyExc_TypeError, "scopes must be a ContextVar or None");
        return NULL;
    }
    fast_floor = new_floor > SIZE_MAX ? SIZE_MAX : (size_t)new_floor;
    fast_max = new_fast > SIZE_MAX ? SIZE_MAX : (size_t)new_fast;
    fresh_until = new_fresh;
    hard_max = new_hard > SIZE_MAX ? SIZE_MAX : (size_t)new_hard;
    process_refuses = new_process_refuses;
    PyObject *old = decide, *old_scopes = scopes;
    if (callback == Py_None) {
        decide = NULL;
    }
    else {
        Py_INCREF(callback);
        decide = callback;
    }
    if (new_scopes == Py_None) {
        scopes = NULL;
    }
    else {
        Py_INCREF(new_scopes);
        scopes = new_scopes;
    }
    Py_XDECREF(old);
    Py_XDECREF(old_scopes);
    Py_RETURN_NONE;
}

static PyObject *
handler_state(PyObject *module, PyObject *unused)
{
    return Py_BuildValue(
        "{s:O,s:s,s:K,s:K,s:d,s:K,s:O,s:K,s:K,s:K}",
        "installed", capsule != NULL ? Py_True : Py_False,
        "wraps", wrapped != NULL ? wrapped->name : "",
        "fast_floor", (unsigned long long)fast_floor,
        "fast_max", (unsigned long long)fast_max,
        "fresh_until", fresh_until,
        "hard_max", (unsigned long long)hard_max,
        "decide", decide != NULL ? decide : Py_None,
        "slow_calls", slow_calls,
        "refusals", refusals,
        "failures", failures);
}

static PyMethodDef methods[] = {
    {"install", handler_install, METH_O,
     "install(capsule): re-point a 'mem_handler' capsule at the backstop; False if already."},
    {"uninstall", handler_uninstall, METH_NOARGS,
     "uninstall(): restore the capsule's handler; False if not installed."},
    {"configure", handler_configure, METH_VARARGS,
     "configure(fast_floor, fast_max, fresh_until, hard_max, decide, scopes, process_refuses):"
     " thresholds in bytes, the reading's freshness, the Python judge, and what a failed"
     " judgement decides."},
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
