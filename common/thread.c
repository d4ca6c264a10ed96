/* thread.c — see thread.h. */
#include "common/thread.h"

#include <signal.h>

int rsn_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    sigset_t all, was;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &was);
    int err = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &was, NULL);
    return err;
}
