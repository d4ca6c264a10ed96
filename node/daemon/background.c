/* background.c — `audit verify` and the retention sweep on worker threads.
 *
 * A job is a struct the loop fills (the snapshot, what to do) before the
 * thread starts, that the thread fills (its result, in an arena of its own)
 * before it returns, and that the loop reads again only in the end callback,
 * after the join: the two threads never touch it at once. Meanwhile the
 * thread speaks in messages: a verification sends its progress after each
 * chunk of leaves (two u64, the leaves checked and the total), a sweep sends
 * its steps (rsn_retention_step_t, RSN_RETENTION_STEPS_PER_MESSAGE at most
 * per message), which the loop writes as they come. The thread reads the
 * snapshot and nothing else of the node's: no loop arena, cache, or the
 * ingest object. An export page is one job too: the thread builds and packs
 * the whole reply (leaves and their signed entries, read from a snapshot
 * taken when the request was read), the loop sends it. */
#include "daemon/background.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/why.h"
#include "daemon/api_reply.h"
#include "daemon/audit.h"
#include "daemon/audit_verify.h"
#include "daemon/retention.h"
#include "net/worker.h"

/* A verification: the loop's part, then the thread's. */
typedef struct {
    rsn_store_t *snapshot;
    uint8_t node_key[RSN_KEY_BYTES];
    /* the thread's, read by the loop after the join */
    rsn_arena_t *arena;
    Raison__AuditVerifyReply *result;
    int rc;
} verify_job_t;

/* A sweep. */
typedef struct {
    rsn_store_t *snapshot;
    uint64_t now_ms;
    size_t budget;
    /* the thread's */
    rsn_worker_chan_t *chan;
    rsn_retention_step_t steps[RSN_RETENTION_STEPS_PER_MESSAGE];
    size_t n_steps;
    size_t found;
    int rc;
} sweep_job_t;

typedef struct {
    rsn_api_msg_t *to; /* an envelope copy */
    uint64_t request_id;
} waiter_t;

typedef struct {
    uint64_t checked;
    uint64_t total;
} progress_msg_t;

/* A page of an export: the loop's part (the client, the page, a snapshot
 * taken when the request was read), then the thread's (the packed reply). */
typedef struct {
    rsn_api_msg_t *to; /* an envelope copy */
    uint64_t request_id;
    uint64_t from, end;
    uint32_t limit;
    rsn_store_t *snapshot;
    /* the thread's */
    uint8_t *bytes; /* malloc'd */
    size_t len;
} export_job_t;

struct rsn_background {
    rsn_workers_t *workers;
    rsn_store_t *store;
    rsn_api_server_t *api;
    uint8_t node_key[RSN_KEY_BYTES];
    /* the verification under way */
    rsn_worker_t *verifier;
    verify_job_t *verify;
    waiter_t waiters[RSN_VERIFY_WAITERS_MAX];
    size_t n_waiters;
    int64_t verify_started_ms;
    rsn_verify_progress_t progress; /* of the run under way, or the last */
    /* the sweep under way */
    rsn_worker_t *sweeper;
    sweep_job_t *sweep;
    size_t erased; /* by the sweep under way, so far */
    /* the export pages: the first runs, the others wait their turn */
    rsn_worker_t *exporter;
    export_job_t *exports[RSN_EXPORTS_QUEUED];
    size_t n_exports;
    void (*wake)(void *ctx); /* told when a page was answered */
    void *wake_ctx;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rsn_background_new(rsn_background_t **out, rsn_poller_t *poller, rsn_store_t *store,
                       rsn_api_server_t *api, const uint8_t node_key[RSN_KEY_BYTES])
{
    *out = NULL;
    rsn_background_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    int rc = rsn_workers_new(&self->workers, poller);
    if (rc < 0) {
        free(self);
        return rc;
    }
    self->store = store;
    self->api = api;
    memcpy(self->node_key, node_key, RSN_KEY_BYTES);
    *out = self;
    return 0;
}

/* --- audit verify ------------------------------------------------------------ */

/* Thread side: tells the loop how far the verification is; stops it when
 * the loop asked the worker to stop. */
static int verify_progress(void *ctx, uint64_t checked, uint64_t total)
{
    progress_msg_t m = {checked, total};
    return rsn_worker_send(ctx, &m, sizeof m) == 0 ? 0 : 1;
}

static void verify_thread(rsn_worker_chan_t *chan, void *arg)
{
    verify_job_t *job = arg;
    job->arena = rsn_arena_new();
    job->rc = job->arena ? rsn_audit_verify_store_with(job->snapshot, job->node_key, job->arena,
                                                       verify_progress, chan, &job->result)
                         : RSN_ERR_NOMEM;
}

static void on_verify_progress(rsn_worker_t *w, const uint8_t *msg, size_t len, void *ctx)
{
    rsn_background_t *self = ctx;
    (void)w;
    progress_msg_t m;
    if (len == sizeof m) {
        memcpy(&m, msg, sizeof m);
        self->progress.checked = m.checked;
        self->progress.total = m.total;
    }
}

/* Sends every waiter the run's result, or an error with CODE and TEXT. */
static void answer_waiters(rsn_background_t *self, Raison__AuditVerifyReply *result, int code,
                           const char *text)
{
    for (size_t i = 0; i < self->n_waiters; i++) {
        waiter_t *w = &self->waiters[i];
        rsn_arena_t *arena = rsn_arena_new();
        uint8_t *bytes = NULL;
        size_t len = 0;
        Raison__ApiReply reply = RAISON__API_REPLY__INIT;
        reply.request_id = w->request_id;
        if (result) {
            reply.result_case = RAISON__API_REPLY__RESULT_AUDIT_VERIFY;
            reply.audit_verify = result;
        } else if (arena) {
            rsn_api_error(arena, &reply, code, text);
        }
        if (arena && rsn_pack(arena, &reply.base, &bytes, &len) == 0 &&
            rsn_api_server_send(self->api, w->to, bytes, len) < 0) {
            rsn_debug("audit: a client left before the verification ended");
        }
        rsn_arena_destroy(&arena);
        rsn_api_msg_destroy(&w->to);
    }
    self->n_waiters = 0;
}

/* Ends the verification: frees its worker, snapshot and result. */
static void verify_clear(rsn_background_t *self)
{
    rsn_worker_destroy(&self->verifier);
    if (self->verify) {
        rsn_store_destroy(&self->verify->snapshot);
        rsn_arena_destroy(&self->verify->arena);
        free(self->verify);
        self->verify = NULL;
    }
    self->progress.running = false;
}

static void on_verify_end(rsn_worker_t *w, void *ctx)
{
    rsn_background_t *self = ctx;
    (void)w;
    verify_job_t *job = self->verify;
    self->progress.elapsed_ms = (uint64_t)(mono_ms() - self->verify_started_ms);
    if (job->rc == 0) {
        Raison__AuditVerifyReply *r = job->result;
        self->progress.checked = r->entries;
        rsn_info("audit: verified %llu entries in %llu ms: %s", (unsigned long long)r->entries,
                 (unsigned long long)r->elapsed_ms,
                 r->integrity_ok ? "integrity holds" : "INTEGRITY BROKEN");
        answer_waiters(self, r, 0, NULL);
    } else {
        rsn_error("audit: the verification failed: %s", rsn_strerror(job->rc));
        answer_waiters(self, NULL, job->rc, "the verification could not read the store");
    }
    verify_clear(self);
}

/* Starts a verification on a snapshot taken now. */
static int verify_start(rsn_background_t *self)
{
    verify_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        return RSN_ERR_NOMEM;
    }
    memcpy(job->node_key, self->node_key, RSN_KEY_BYTES);
    int rc = rsn_store_snapshot_new(self->store, &job->snapshot);
    if (rc == 0) {
        self->verify = job;
        rc = rsn_worker_start(&self->verifier, self->workers, verify_thread, job,
                              on_verify_progress, on_verify_end, self);
    } else {
        free(job);
    }
    if (rc < 0) {
        verify_clear(self);
        return rc;
    }
    self->verify_started_ms = mono_ms();
    self->progress = (rsn_verify_progress_t){.running = true};
    return 0;
}

int rsn_background_verify(rsn_background_t *self, rsn_arena_t *arena, const rsn_api_msg_t *msg,
                          const Raison__ApiRequest *req, Raison__ApiReply *reply, char *why,
                          size_t why_size)
{
    if (req->audit_verify && req->audit_verify->progress) {
        Raison__AuditVerifyReply *r = rsn_arena_alloc(arena, sizeof *r);
        if (!r) {
            return RSN_ERR_NOMEM;
        }
        raison__audit_verify_reply__init(r);
        rsn_verify_progress_t p;
        rsn_background_verify_progress(self, &p);
        r->progress_only = true;
        r->running = p.running;
        r->checked = p.checked;
        r->total = p.total;
        r->elapsed_ms = p.elapsed_ms;
        reply->result_case = RAISON__API_REPLY__RESULT_AUDIT_VERIFY;
        reply->audit_verify = r;
        return 0;
    }
    if (self->n_waiters == RSN_VERIFY_WAITERS_MAX) {
        return rsn_why(why, why_size, RSN_ERR_BUSY,
                       "%d clients wait for the verification under way already; try later",
                       RSN_VERIFY_WAITERS_MAX);
    }
    rsn_api_msg_t *to = msg ? rsn_api_msg_envelope_copy(msg) : NULL;
    if (!to) {
        return RSN_ERR_NOMEM;
    }
    if (!self->verify) {
        int rc = verify_start(self);
        if (rc < 0) {
            rsn_api_msg_destroy(&to);
            return rsn_why(why, why_size, rc, "cannot start the verification: %s",
                           rsn_strerror(rc));
        }
    }
    self->waiters[self->n_waiters++] = (waiter_t){.to = to, .request_id = req->request_id};
    return 0; /* REPLY unset: answered when the run ends */
}

void rsn_background_verify_progress(const rsn_background_t *self, rsn_verify_progress_t *out)
{
    *out = self->progress;
    if (self->progress.running) {
        out->elapsed_ms = (uint64_t)(mono_ms() - self->verify_started_ms);
    }
}

/* --- the retention sweep ----------------------------------------------------- */

/* Thread side: sends the steps gathered so far. */
static int sweep_flush(sweep_job_t *job)
{
    if (job->n_steps == 0) {
        return 0;
    }
    int rc = rsn_worker_send(job->chan, job->steps, job->n_steps * sizeof job->steps[0]);
    job->n_steps = 0;
    return rc;
}

static int sweep_emit(void *ctx, const rsn_retention_step_t *step)
{
    sweep_job_t *job = ctx;
    job->steps[job->n_steps++] = *step;
    return job->n_steps == RSN_RETENTION_STEPS_PER_MESSAGE ? sweep_flush(job) : 0;
}

static bool sweep_stopping(void *ctx)
{
    sweep_job_t *job = ctx;
    return rsn_worker_stopping(job->chan);
}

static void sweep_thread(rsn_worker_chan_t *chan, void *arg)
{
    sweep_job_t *job = arg;
    job->chan = chan;
    rsn_retention_sink_t sink = {.emit = sweep_emit, .stopping = sweep_stopping, .ctx = job};
    job->rc = rsn_retention_find(job->snapshot, job->now_ms, job->budget, &sink, &job->found);
    if (job->rc == 0) {
        job->rc = sweep_flush(job);
    }
}

/* Loop side: writes one message of steps in one synced batch. */
static void on_sweep_steps(rsn_worker_t *w, const uint8_t *msg, size_t len, void *ctx)
{
    rsn_background_t *self = ctx;
    (void)w;
    rsn_retention_step_t steps[RSN_RETENTION_STEPS_PER_MESSAGE];
    size_t n = len / sizeof steps[0];
    if (len % sizeof steps[0] != 0 || n > RSN_RETENTION_STEPS_PER_MESSAGE) {
        rsn_error("retention: a message of %zu bytes from the sweep (a bug)", len);
        return;
    }
    memcpy(steps, msg, len);
    size_t erased = 0;
    if (rsn_retention_apply(self->store, steps, n, &erased) < 0) {
        rsn_error("retention: could not erase %zu bodies past retention", n);
    }
    self->erased += erased;
}

static void sweep_clear(rsn_background_t *self)
{
    rsn_worker_destroy(&self->sweeper);
    if (self->sweep) {
        rsn_store_destroy(&self->sweep->snapshot);
        free(self->sweep);
        self->sweep = NULL;
    }
    self->erased = 0;
}

static void on_sweep_end(rsn_worker_t *w, void *ctx)
{
    rsn_background_t *self = ctx;
    (void)w;
    if (self->sweep->rc < 0) {
        rsn_error("retention: the sweep failed: %s", rsn_strerror(self->sweep->rc));
    }
    rsn_retention_log(self->erased);
    sweep_clear(self);
}

int rsn_background_sweep(rsn_background_t *self, uint64_t now_ms, size_t budget)
{
    if (self->sweep) {
        rsn_debug("retention: the last sweep still runs");
        return 0;
    }
    sweep_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        return RSN_ERR_NOMEM;
    }
    job->now_ms = now_ms;
    job->budget = budget;
    int rc = rsn_store_snapshot_new(self->store, &job->snapshot);
    if (rc < 0) {
        free(job);
        return rc;
    }
    self->sweep = job;
    rc = rsn_worker_start(&self->sweeper, self->workers, sweep_thread, job, on_sweep_steps,
                          on_sweep_end, self);
    if (rc < 0) {
        sweep_clear(self);
    }
    return rc;
}

bool rsn_background_sweeping(const rsn_background_t *self)
{
    return self->sweep != NULL;
}

/* --- export pages ------------------------------------------------------------ */

static void export_thread(rsn_worker_chan_t *chan, void *arg)
{
    export_job_t *job = arg;
    (void)chan;
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return; /* no bytes: the loop answers ERROR_INTERNAL */
    }
    char why[256] = "";
    Raison__ApiReply reply = RAISON__API_REPLY__INIT;
    reply.request_id = job->request_id;
    int rc = rsn_audit_leaves_page(job->snapshot, arena, job->from, job->end, job->limit, &reply,
                                   why, sizeof why);
    if (rc < 0) {
        rsn_api_error(arena, &reply, rc, why);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (rsn_pack(arena, &reply.base, &bytes, &len) == 0 && (job->bytes = malloc(len ? len : 1))) {
        memcpy(job->bytes, bytes, len);
        job->len = len;
    }
    rsn_arena_destroy(&arena);
}

static void export_free(export_job_t **job_p)
{
    export_job_t *job = *job_p;
    if (job) {
        rsn_api_msg_destroy(&job->to);
        rsn_store_destroy(&job->snapshot);
        free(job->bytes);
        free(job);
        *job_p = NULL;
    }
}

/* Sends JOB's client an error with CODE and TEXT in place of its page. */
static void export_refuse(rsn_background_t *self, const export_job_t *job, int code,
                          const char *text)
{
    rsn_api_send_error(self->api, job->to, job->request_id, code, text);
}

static void on_export_end(rsn_worker_t *w, void *ctx);

/* Starts the first waiting page on a worker; one that cannot start is
 * refused and the next is tried. */
static void export_next(rsn_background_t *self)
{
    while (self->n_exports > 0 && !self->exporter) {
        export_job_t *job = self->exports[0];
        int rc = rsn_worker_start(&self->exporter, self->workers, export_thread, job, NULL,
                                  on_export_end, self);
        if (rc == 0) {
            return;
        }
        export_refuse(self, job, rc, "the node could not start a worker for the page");
        export_free(&self->exports[0]);
        memmove(self->exports, self->exports + 1, --self->n_exports * sizeof self->exports[0]);
        if (self->wake) {
            self->wake(self->wake_ctx);
        }
    }
}

/* Loop side: the first page is built; its reply goes out, the client's
 * next requests may be answered (the wake), the next page starts. */
static void on_export_end(rsn_worker_t *w, void *ctx)
{
    rsn_background_t *self = ctx;
    (void)w;
    export_job_t *job = self->exports[0];
    if (!job->bytes) {
        export_refuse(self, job, RSN_ERR_NOMEM, "the node ran out of memory building the page");
    } else if (rsn_api_server_send(self->api, job->to, job->bytes, job->len) < 0) {
        rsn_debug("audit: a client left before its page of leaves");
    }
    rsn_worker_destroy(&self->exporter);
    export_free(&self->exports[0]);
    memmove(self->exports, self->exports + 1, --self->n_exports * sizeof self->exports[0]);
    if (self->wake) {
        self->wake(self->wake_ctx);
    }
    export_next(self);
}

int rsn_background_export_leaves(rsn_background_t *self, const rsn_api_msg_t *msg,
                                 uint64_t request_id, uint64_t from, uint64_t end, uint32_t limit,
                                 char *why, size_t why_size)
{
    if (self->n_exports == RSN_EXPORTS_QUEUED) {
        return rsn_why(why, why_size, RSN_ERR_BUSY,
                       "%d pages of leaves are being built or wait already; try later",
                       RSN_EXPORTS_QUEUED);
    }
    export_job_t *job = calloc(1, sizeof *job);
    rsn_api_msg_t *to = msg ? rsn_api_msg_envelope_copy(msg) : NULL;
    if (!job || !to) {
        free(job);
        rsn_api_msg_destroy(&to);
        return RSN_ERR_NOMEM;
    }
    *job = (export_job_t){
        .to = to, .request_id = request_id, .from = from, .end = end, .limit = limit};
    int rc = rsn_store_snapshot_new(self->store, &job->snapshot);
    if (rc < 0) {
        export_free(&job);
        return rsn_why(why, why_size, rc, "cannot read the store for the page: %s",
                       rsn_strerror(rc));
    }
    self->exports[self->n_exports++] = job;
    export_next(self);
    return 0;
}

bool rsn_background_holds(const rsn_background_t *self, const rsn_api_msg_t *msg)
{
    for (size_t i = 0; i < self->n_exports; i++) {
        if (rsn_api_msg_same_client(self->exports[i]->to, msg)) {
            return true;
        }
    }
    return false;
}

void rsn_background_set_wake(rsn_background_t *self, void (*wake)(void *ctx), void *ctx)
{
    self->wake = wake;
    self->wake_ctx = ctx;
}

size_t rsn_background_exports(const rsn_background_t *self)
{
    return self->n_exports;
}

void rsn_background_destroy(rsn_background_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_background_t *self = *self_p;
    /* the workers stop within one message; a verification cut short tells
     * its waiters */
    rsn_worker_destroy(&self->verifier);
    answer_waiters(self, NULL, RSN_ERR_UNAVAILABLE,
                   "the node is stopping: the verification was not finished");
    verify_clear(self);
    sweep_clear(self);
    rsn_worker_destroy(&self->exporter);
    for (size_t i = 0; i < self->n_exports; i++) {
        export_refuse(self, self->exports[i], RSN_ERR_UNAVAILABLE,
                      "the node is stopping: the page was not built");
        export_free(&self->exports[i]);
    }
    self->n_exports = 0;
    rsn_workers_destroy(&self->workers);
    free(self);
    *self_p = NULL;
}
