/* support/node.c — real raisond processes, started and stopped by a test:
 * `raisond keygen` through popen for the key, fork + execv for the daemon
 * (PR_SET_PDEATHSIG, stdin/stdout on /dev/null, stderr appended to the
 * node's log), SIGTERM then SIGKILL to stop it, and a status call polled
 * until the API answers. */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "support/node.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/api.h"
#include "support/clock.h"
#include "support/ports.h"

#define ME program_invocation_short_name

int rsn_test_node_init(rsn_test_node_t *n, const char *raisond, const char *work, const char *name)
{
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", name);
    if (snprintf(n->dir, sizeof n->dir, "%s/%s", work, name) >= (int)sizeof n->dir ||
        snprintf(n->sock, sizeof n->sock, "%s/%s/raison.sock", work, name) >= (int)sizeof n->sock ||
        snprintf(n->log, sizeof n->log, "%s/%s.log", work, name) >= (int)sizeof n->log) {
        fprintf(stderr, "%s: the work folder path is too long\n", ME);
        return RSN_ERR_INVALID_ARG;
    }
    if (rsn_test_free_port(&n->port) != 0) {
        fprintf(stderr, "%s: no free port\n", ME);
        return RSN_ERR_IO;
    }
    char cmd[RSN_TEST_PATH_MAX * 2 + 64];
    snprintf(cmd, sizeof cmd, "'%s' keygen --data '%s'", raisond, n->dir);
    FILE *f = popen(cmd, "r");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot run %s\n", ME, cmd);
        return RSN_ERR_IO;
    }
    char line[128] = "";
    bool got = fgets(line, sizeof line, f) != NULL;
    int status = pclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (!got || status != 0 || strlen(line) != RSN_KEY_HEX) {
        fprintf(stderr, "%s: %s failed (%s)\n", ME, cmd, line);
        return RSN_ERR_IO;
    }
    memcpy(n->key, line, RSN_KEY_HEX + 1);
    return 0;
}

int rsn_test_node_peer(rsn_test_node_t *n, const rsn_test_node_t *other, bool dial)
{
    if (n->n_peers >= RSN_TEST_MAX_PEERS) {
        fprintf(stderr, "%s: too many peers for %s\n", ME, n->name);
        return RSN_ERR_TOO_LARGE;
    }
    char buf[128];
    if (dial) {
        snprintf(buf, sizeof buf, "tcp://127.0.0.1:%d=%s", other->port, other->key);
    } else {
        snprintf(buf, sizeof buf, "=%s", other->key);
    }
    n->peers[n->n_peers] = strdup(buf);
    if (n->peers[n->n_peers] == NULL) {
        return RSN_ERR_NOMEM;
    }
    n->n_peers++;
    return 0;
}

/* In the child: dies with the parent, stdio redirected, then raisond. */
static void exec_node(const rsn_test_node_t *n, const char *raisond, char **argv, pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        _exit(1);
    }
    int fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        close(devnull);
    }
    execv(raisond, argv);
    _exit(127);
}

int rsn_test_node_start(rsn_test_node_t *n, const char *raisond)
{
    char listen[64];
    snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", n->port);
    char *argv[8 + 2 * RSN_TEST_MAX_PEERS + 1];
    size_t a = 0;
    argv[a++] = (char *)raisond;
    argv[a++] = "--data";
    argv[a++] = n->dir;
    argv[a++] = "--site";
    argv[a++] = n->name;
    argv[a++] = "--listen";
    argv[a++] = listen;
    for (size_t i = 0; i < n->n_peers; i++) {
        argv[a++] = "--peer";
        argv[a++] = n->peers[i];
    }
    argv[a] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "%s: fork: %s\n", ME, strerror(errno));
        return RSN_ERR_IO;
    }
    if (pid == 0) {
        exec_node(n, raisond, argv, parent);
    }
    n->pid = pid;
    return 0;
}

/* One try: a short-timeout connection that answers a status. */
static bool answers(const rsn_test_node_t *n)
{
    rsn_client_t *c = NULL;
    bool ok = false;
    if (rsn_client_connect(&c, n->sock, 2000) == 0) {
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__StatusRequest st = RAISON__STATUS_REQUEST__INIT;
        Raison__ApiReply *reply = NULL;
        req.call_case = RAISON__API_REQUEST__CALL_STATUS;
        req.status = &st;
        ok = rsn_client_call(c, &req, &reply) == 0;
        rsn_test_reply_free(reply);
    }
    rsn_client_destroy(&c);
    return ok;
}

int rsn_test_node_connect(rsn_test_node_t *n, rsn_client_t **out, double timeout_s)
{
    return rsn_test_node_connect_every(n, out, timeout_s, 20);
}

int rsn_test_node_connect_every(rsn_test_node_t *n, rsn_client_t **out, double timeout_s,
                                int poll_ms)
{
    double deadline = rsn_test_now() + timeout_s;
    *out = NULL;
    for (;;) {
        if (answers(n)) {
            /* reconnect with the long timeout for the caller's calls */
            rsn_client_t *c = NULL;
            int rc = rsn_client_connect(&c, n->sock, RSN_TEST_API_TIMEOUT_MS);
            if (rc == 0) {
                rc = rsn_test_api_status(c, NULL, NULL);
            }
            if (rc != 0) {
                rsn_client_destroy(&c);
                return rc;
            }
            *out = c;
            return 0;
        }
        int status;
        if (n->pid > 0 && waitpid(n->pid, &status, WNOHANG) == n->pid) {
            n->pid = 0;
            fprintf(stderr, "%s: raisond %s exited at start\n", ME, n->name);
            rsn_test_node_tail(n);
            return RSN_ERR_UNAVAILABLE;
        }
        if (rsn_test_now() > deadline) {
            fprintf(stderr, "%s: raisond %s did not answer in %.0f s\n", ME, n->name, timeout_s);
            rsn_test_node_tail(n);
            return RSN_ERR_TIMEOUT;
        }
        rsn_test_sleep_ms(poll_ms);
    }
}

void rsn_test_node_stop(rsn_test_node_t *n)
{
    if (n->pid > 0) {
        kill(n->pid, SIGTERM);
        double deadline = rsn_test_now() + 10;
        int status;
        while (waitpid(n->pid, &status, WNOHANG) == 0) {
            if (rsn_test_now() > deadline) {
                kill(n->pid, SIGKILL);
                waitpid(n->pid, &status, 0);
                break;
            }
            rsn_test_sleep_ms(20);
        }
        n->pid = 0;
    }
    for (size_t i = 0; i < n->n_peers; i++) {
        free(n->peers[i]);
        n->peers[i] = NULL;
    }
    n->n_peers = 0;
}

void rsn_test_node_tail(const rsn_test_node_t *n)
{
    char cmd[RSN_TEST_PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "tail -n 15 '%s' >&2", n->log);
    fprintf(stderr, "---- last lines of %s ----\n", n->log);
    fflush(stderr);
    if (system(cmd) != 0) {
        fprintf(stderr, "(no log)\n");
    }
}
