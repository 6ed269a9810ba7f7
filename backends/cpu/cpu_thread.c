/* backends/cpu/cpu_thread.c — fork and join for the cpu backend's own loops (the masked
 * energy's panels, the single passes): one call starts the workers and returns when all
 * are done, so no thread waits or spins between dispatches (OpenMP's spinning threads
 * fought OpenBLAS's for the cores). What each worker computes must not depend on how many
 * ran: the callers split their work into fixed parts.
 */
#include <pthread.h>

#include "cpu_internal.h"

enum { CPU_MAX_WORKERS = 64 };

typedef struct cpu_worker {
    void (*fn)(void *ctx, int worker);
    void *ctx;
    int index;
} cpu_worker;

static void *cpu_worker_main(void *arg)
{
    cpu_worker *w = arg;
    w->fn(w->ctx, w->index);
    return NULL;
}

int cpu_workers(void)
{
    int cores = host_cpu_count();
    return cores < 1 ? 1 : cores > CPU_MAX_WORKERS ? CPU_MAX_WORKERS : cores;
}

void cpu_parallel(int workers, void (*fn)(void *ctx, int worker), void *ctx)
{
    pthread_t tid[CPU_MAX_WORKERS];
    cpu_worker w[CPU_MAX_WORKERS];
    int started[CPU_MAX_WORKERS] = {0};
    if (workers > CPU_MAX_WORKERS) workers = CPU_MAX_WORKERS;
    for (int i = 1; i < workers; i++) {
        w[i] = (cpu_worker){.fn = fn, .ctx = ctx, .index = i};
        started[i] = pthread_create(&tid[i], NULL, cpu_worker_main, &w[i]) == 0;
    }
    fn(ctx, 0);
    for (int i = 1; i < workers; i++) {
        if (started[i]) pthread_join(tid[i], NULL);
        else fn(ctx, i); /* a thread that could not start: its share runs here */
    }
}
