/* A slow disk, for measuring: every fsync() and fdatasync() of the process waits SLOW_FSYNC_US
 * microseconds more after the real call returns (as a network or cloud disk's flush would, asleep
 * rather than busy). irisgate's fsyncs are SQLite's: WAL checkpoints in their thread, and the
 * first commit after each WAL restart on the event loop.
 *
 *   gcc -O2 -shared -fPIC -o /tmp/slow_fsync.so bench/slow_fsync.c -ldl
 *   LD_PRELOAD=/tmp/slow_fsync.so SLOW_FSYNC_US=3000 \
 *       .venv/bin/python bench/run.py --sections overhead --no-litellm --no-record
 *
 * Only irisgate fsyncs in the suite (nginx, wrk and the reference gateway never do), so preloading
 * it into run.py and its children slows irisgate's disk alone. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void wait_for_the_disk(void) {
    static long delay_ns = -1;
    if (delay_ns < 0) {
        const char *us = getenv("SLOW_FSYNC_US");
        delay_ns = us ? atol(us) * 1000L : 0;
    }
    struct timespec left = {delay_ns / 1000000000L, delay_ns % 1000000000L};
    while (delay_ns > 0 && nanosleep(&left, &left) != 0) {
    }
}

typedef int (*sync_call)(int);

static int slowed(sync_call *real, const char *name, int fd) {
    if (!*real) *real = (sync_call)dlsym(RTLD_NEXT, name);
    int result = (*real)(fd);
    wait_for_the_disk();
    return result;
}

int fsync(int fd) {
    static sync_call real;
    return slowed(&real, "fsync", fd);
}

int fdatasync(int fd) {
    static sync_call real;
    return slowed(&real, "fdatasync", fd);
}
