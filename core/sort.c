/* core/sort.c — see core/sort.h. */
#include "core/sort.h"

#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void ef_sort_doubles(double *v, size_t n) { qsort(v, n, sizeof *v, cmp_double); }

double ef_median_sort(double *v, size_t n)
{
    ef_sort_doubles(v, n);
    return v[n / 2];
}
