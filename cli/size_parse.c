/* cli/size_parse.c — a byte size as typed on the command line (--max-memory 4G): a
 * number with an optional K, M, G or T suffix (powers of 1024, as `free` and SLURM's --mem
 * count). Shared by `efbench run` and `efbench plan`.
 */
#include <math.h>
#include <stdlib.h>

#include "cli/cli.h"

int cli_size_parse(const char *text, double *bytes)
{
    char *end;
    double x = strtod(text, &end);
    if (end == text || !isfinite(x) || x <= 0) return -1;
    static const char units[] = "KMGT";
    double scale = 1;
    if (*end) {
        int k = 0;
        while (units[k] && units[k] != (*end & ~0x20)) k++;
        if (!units[k]) return -1;
        scale = ldexp(1.0, 10 * (k + 1));
        end++;
        if ((*end & ~0x20) == 'B') end++; /* 4G or 4GB */
        if (*end) return -1;
    }
    *bytes = x * scale;
    return *bytes >= 1 ? 0 : -1;
}
