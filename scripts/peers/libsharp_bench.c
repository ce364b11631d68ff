/* Peer benchmark for `equisphere bench --only sht`: libsharp (Debian libsharp-dev) synthesis (alm2map) and
 * analysis (map2alm) in float64 on the Fejer-1 grid with 2B rings x 2B pixels per ring, which has exactly the
 * Driscoll-Healy sample positions theta_j = pi(2j+1)/(4B), phi_k = 2 pi k/(2B); lmax = mmax = B - 1; one thread.
 *
 * Build and run (from the repository root):
 *   apt-get install -y libsharp-dev
 *   cc -O2 -o scripts/peers/libsharp_bench scripts/peers/libsharp_bench.c -lsharp -lm
 *   OMP_NUM_THREADS=1 scripts/peers/libsharp_bench 32 64 128 256 512
 * Output: one line per bandwidth, "B <alm2map median seconds> <map2alm median seconds>".
 * The sht benchmark suite runs the binary itself when it exists and prints these numbers beside ours.
 */
#include <libsharp/sharp.h>
#include <libsharp/sharp_almhelpers.h>
#include <libsharp/sharp_geomhelpers.h>
#include <complex.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median seconds of one sharp_execute call: 2 warm-up calls, then at least 5 runs and 0.5 s. */
static double median_time(sharp_jobtype job, double complex *alm, double *map, sharp_geom_info *g,
                          sharp_alm_info *a) {
  enum { MAXRUNS = 100000 };
  static double samples[MAXRUNS];
  int runs = 0;
  for (int i = 0; i < 2; ++i) sharp_execute(job, 0, &alm, &map, g, a, SHARP_DP, NULL, NULL);
  double start = now();
  while ((runs < 5 || now() - start < 0.5) && runs < MAXRUNS) {
    double t0 = now();
    sharp_execute(job, 0, &alm, &map, g, a, SHARP_DP, NULL, NULL);
    samples[runs++] = now() - t0;
  }
  qsort(samples, runs, sizeof(double), cmp);
  return samples[runs / 2];
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s B [B ...]\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    int b = atoi(argv[i]);
    if (b < 1) {
      fprintf(stderr, "expected a bandwidth >= 1, got '%s'\n", argv[i]);
      return 2;
    }
    int lmax = b - 1;
    sharp_geom_info *g;
    sharp_alm_info *a;
    sharp_make_fejer1_geom_info(2 * b, 2 * b, 0.0, 1, 2 * b, &g);
    sharp_make_triangular_alm_info(lmax, lmax, 1, &a);
    size_t nalm = (size_t)(lmax + 1) * (lmax + 2) / 2;
    double complex *alm = calloc(nalm, sizeof(double complex));
    double *map = calloc((size_t)4 * b * b, sizeof(double));
    srand(42);
    for (size_t k = 0; k < nalm; ++k) alm[k] = (rand() / (double)RAND_MAX - 0.5) + I * (rand() / (double)RAND_MAX - 0.5);
    /* m = 0 coefficients are real for a real map. */
    for (int l = 0; l <= lmax; ++l) alm[l] = creal(alm[l]);
    double synth = median_time(SHARP_ALM2MAP, alm, map, g, a);
    double anal = median_time(SHARP_MAP2ALM, alm, map, g, a);
    printf("%d %.9g %.9g\n", b, synth, anal);
    fflush(stdout);
    free(alm);
    free(map);
    sharp_destroy_alm_info(a);
    sharp_destroy_geom_info(g);
  }
  return 0;
}
