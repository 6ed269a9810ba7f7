/* core/sort.h — sorting and medians of doubles, for timing, peaks and reports. */
#ifndef EF_CORE_SORT_H
#define EF_CORE_SORT_H

#include <stddef.h>

/* Sort v[0..n) ascending. */
void ef_sort_doubles(double *v, size_t n);
/* Sort v[0..n) (n > 0) and return its median: the upper middle one when n is even. */
double ef_median_sort(double *v, size_t n);

#endif
