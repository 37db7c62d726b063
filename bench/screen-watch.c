// Watches a rectangle of the X screen and prints each change of what it shows, for
// bench/app-bench.mjs: when a keystroke's echo reaches the screen, not when the page thinks it
// drew it. Built by the bench with cc and libX11 (as tests/app/wm-close.c).
//
// Usage: screen-watch X Y W H SECONDS
// Prints, at the start and at each change: "<epoch ms> <m|u> <hash>", m when the rectangle's
// pixels differ among themselves (a glyph in a cell), u when they are all one colour (an empty
// cell, or a block cursor); the hash tells one picture from another. Ends after SECONDS.
// Reads every POLL_US (plus a read's own ~0.1 ms), so that it and the X server do not take the
// cores the app being timed needs.
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define POLL_US 250

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: screen-watch X Y W H SECONDS\n");
        return 2;
    }
    int x = atoi(argv[1]), y = atoi(argv[2]), w = atoi(argv[3]), h = atoi(argv[4]);
    double secs = atof(argv[5]);
    if (w <= 0 || h <= 0 || w > 256 || h > 256) {
        fprintf(stderr, "screen-watch: the rectangle must be 1..256 pixels each way\n");
        return 2;
    }
    Display *d = XOpenDisplay(NULL);
    if (!d) {
        fprintf(stderr, "screen-watch: cannot open the display (DISPLAY?)\n");
        return 1;
    }
    Window root = DefaultRootWindow(d);
    XImage *im = XGetImage(d, root, x, y, (unsigned)w, (unsigned)h, AllPlanes, ZPixmap);
    if (!im) {
        fprintf(stderr, "screen-watch: the rectangle is not on the screen\n");
        return 1;
    }
    uint64_t last = 0;
    int first = 1;
    double end = now_ms() + secs * 1000.0;
    while (now_ms() < end) {
        if (!first && !XGetSubImage(d, root, x, y, (unsigned)w, (unsigned)h, AllPlanes, ZPixmap, im, 0, 0)) {
            fprintf(stderr, "screen-watch: the screen could not be read\n");
            return 1;
        }
        uint64_t hash = 1469598103934665603ULL;
        unsigned long p0 = XGetPixel(im, 0, 0);
        int mixed = 0;
        for (int j = 0; j < h; j++)
            for (int i = 0; i < w; i++) {
                unsigned long p = XGetPixel(im, i, j);
                if (p != p0) mixed = 1;
                hash = (hash ^ (uint64_t)p) * 1099511628211ULL;
            }
        if (first || hash != last) {
            printf("%.3f %c %016llx\n", now_ms(), mixed ? 'm' : 'u', (unsigned long long)hash);
            fflush(stdout);
            last = hash;
            first = 0;
        }
        struct timespec pause = {0, POLL_US * 1000L};
        nanosleep(&pause, NULL);
    }
    return 0;
}
