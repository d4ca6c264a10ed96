/* bench_util.c — what the benchmarks share beyond tests/support/: the
 * pre-signed entry sets, the raw verification baseline, the timed pipelined
 * publish, the peers' counters and the machine line (bench_util.h). Linked
 * into every bench_*.c program. */
#include "bench_util.h"

#include <unistd.h>

#include "raison.pb-c.h"

int bench_start(const char *name)
{
    rsn_log_setup(name, RSN_LOG_WARN);
    if (rsn_crypto_init() != 0) {
        fprintf(stderr, "%s: libsodium does not start\n", name);
        return -1;
    }
    return 0;
}

long bench_arg(int argc, char **argv, int i, long fallback, long max)
{
    if (argc <= i) {
        return fallback;
    }
    char *end = NULL;
    long v = strtol(argv[i], &end, 10);
    if (end == argv[i] || *end != '\0' || v <= 0 || v > max) {
        fprintf(stderr, "bench: %s is not a count in [1, %ld]\n", argv[i], max);
        exit(2);
    }
    return v;
}

/* Signs the profile entry SEQ of KP after PREV (NULL for seq 1) into P. */
static int presign(rsn_arena_t *arena, rsn_test_signed_t *p, const rsn_keypair_t *kp, uint64_t seq,
                   const uint8_t *prev)
{
    Raison__Profile profile = RAISON__PROFILE__INIT;
    char name[32];
    snprintf(name, sizeof name, "bench %" PRIu64, seq);
    profile.name = name;
    profile.site = "bench";
    profile.role = "load";
    rsn_test_header_t h = {.seq = seq,
                           .prev = prev,
                           .timestamp_ms = rsn_test_wall_ms(),
                           .kind = RAISON__KIND__KIND_PROFILE};
    return rsn_test_sign_message(arena, kp, &h, &profile.base, p);
}

int bench_set_make(bench_set_t *set, size_t authors, size_t per_author)
{
    memset(set, 0, sizeof *set);
    set->authors = authors;
    set->per_author = per_author;
    set->n = authors * per_author;
    set->keys = calloc(authors, sizeof *set->keys);
    set->all = calloc(set->n, sizeof *set->all);
    set->order = calloc(set->n, sizeof *set->order);
    set->arena = rsn_arena_new();
    if (set->keys == NULL || set->all == NULL || set->order == NULL || set->arena == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        goto fail;
    }
    for (size_t a = 0; a < authors; a++) {
        set->keys[a] = rsn_keypair_generate();
        if (set->keys[a] == NULL) {
            fprintf(stderr, "bench: cannot generate a key\n");
            goto fail;
        }
        for (size_t s = 0; s < per_author; s++) {
            rsn_test_signed_t *p = &set->all[a * per_author + s];
            const uint8_t *prev = s == 0 ? NULL : set->all[a * per_author + s - 1].id;
            if (presign(set->arena, p, set->keys[a], s + 1, prev) != 0) {
                fprintf(stderr, "bench: presigning failed\n");
                goto fail;
            }
        }
    }
    /* round robin over the authors, each author's feed in order */
    for (size_t s = 0; s < per_author; s++) {
        for (size_t a = 0; a < authors; a++) {
            set->order[s * authors + a] = &set->all[a * per_author + s];
        }
    }
    return 0;
fail:
    bench_set_free(set);
    return -1;
}

void bench_set_free(bench_set_t *set)
{
    for (size_t a = 0; set->keys != NULL && a < set->authors; a++) {
        rsn_keypair_destroy(&set->keys[a]);
    }
    free(set->keys);
    free(set->all);
    free(set->order);
    rsn_arena_destroy(&set->arena);
    memset(set, 0, sizeof *set);
}

double bench_raw_verify_rate(const rsn_test_signed_t *all, size_t n, double seconds)
{
    size_t done = 0;
    double start = rsn_test_now();
    double elapsed = 0;
    while (elapsed < seconds) {
        for (size_t i = 0; i < 1000; i++) {
            const rsn_test_signed_t *p = &all[(done + i) % n];
            if (rsn_entry_verify(p->author, p->entry, p->entry_len, p->sig) != 0) {
                fprintf(stderr, "bench: a presigned entry does not verify\n");
                exit(1);
            }
        }
        done += 1000;
        elapsed = rsn_test_now() - start;
    }
    return (double)done / elapsed;
}

double bench_publish_all(rsn_client_t *client, rsn_test_signed_t *const *order, size_t n,
                         size_t inflight)
{
    rsn_test_publish_opts_t o = {.inflight = inflight};
    double start = rsn_test_now();
    if (rsn_test_api_publish_all(client, order, n, &o) != 0) {
        return -1;
    }
    return (double)n / (rsn_test_now() - start);
}

void bench_print_peers(rsn_client_t *client, const char *who)
{
    Raison__ApiReply *reply = NULL;
    if (rsn_test_api_peers(client, &reply) != 0) {
        return;
    }
    for (size_t i = 0; i < reply->peers->n_peers; i++) {
        const Raison__PeerInfo *p = reply->peers->peers[i];
        char key[17];
        rsn_hex_encode(key, sizeof key, p->key.data, p->key.len < 8 ? p->key.len : 8);
        fprintf(stderr,
                "  %s peer %s site=%s connected=%d sent=%" PRIu64 " received=%" PRIu64
                " missing=%" PRIu64 " dropped=%" PRIu64 " banned_until=%" PRIu64
                " last_error=\"%s\"\n",
                who, key, p->site, (int)p->connected, p->entries_sent, p->entries_received,
                p->missing, p->dropped, p->banned_until, p->last_error);
    }
    rsn_test_reply_free(reply);
}

void bench_print_machine(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    double load[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) {
            load[0] = load[1] = load[2] = 0;
        }
        fclose(f);
    }
    printf("machine: %ld processors online, load average %.2f %.2f %.2f (shared machine:"
           " figures are noisy)\n",
           sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
}
