/* wm-close PID: asks the app's visible windows to close exactly as a window manager does when
 * the user clicks the title bar's close button or presses Alt+F4: a WM_PROTOCOLS client message
 * carrying WM_DELETE_WINDOW (ICCCM 4.2.8.1) sent to each viewable top-level window whose
 * _NET_WM_PID is PID. The app sees a close request (GTK's delete-event, Tauri's CloseRequested),
 * the path a real close takes; WebDriver's "close window" destroys the window without it.
 *
 * Used by tests/app/app.mjs under Xvfb (no window manager runs there). Prints how many windows
 * were asked; exits 1 when none was found. Build: cc -o wm-close wm-close.c -lX11 */
#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>

static Atom net_wm_pid, wm_protocols, wm_delete;

static long window_pid(Display *d, Window w) {
    Atom type;
    int format;
    unsigned long n, after;
    unsigned char *data = NULL;
    long pid = -1;
    if (XGetWindowProperty(d, w, net_wm_pid, 0, 1, False, XA_CARDINAL, &type, &format, &n, &after, &data) == Success &&
        data != NULL && n == 1 && format == 32)
        pid = (long)*(unsigned long *)data;
    if (data) XFree(data);
    return pid;
}

static int takes_delete(Display *d, Window w) {
    Atom *protocols = NULL;
    int n = 0, found = 0;
    if (XGetWMProtocols(d, w, &protocols, &n)) {
        for (int i = 0; i < n; i++) found |= protocols[i] == wm_delete;
        XFree(protocols);
    }
    return found;
}

static int ask(Display *d, Window w, long pid) {
    int sent = 0;
    XWindowAttributes attrs;
    if (window_pid(d, w) == pid && takes_delete(d, w) && XGetWindowAttributes(d, w, &attrs) && attrs.map_state == IsViewable) {
        XEvent e = {0};
        e.xclient.type = ClientMessage;
        e.xclient.window = w;
        e.xclient.message_type = wm_protocols;
        e.xclient.format = 32;
        e.xclient.data.l[0] = (long)wm_delete;
        e.xclient.data.l[1] = CurrentTime;
        XSendEvent(d, w, False, NoEventMask, &e);
        return 1;
    }
    Window root, parent, *children = NULL;
    unsigned int n = 0;
    if (XQueryTree(d, w, &root, &parent, &children, &n)) {
        for (unsigned int i = 0; i < n; i++) sent += ask(d, children[i], pid);
        if (children) XFree(children);
    }
    return sent;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: wm-close PID (DISPLAY from the environment)\n");
        return 2;
    }
    long pid = strtol(argv[1], NULL, 10);
    Display *d = XOpenDisplay(NULL);
    if (!d) {
        fprintf(stderr, "wm-close: cannot open the display %s\n", getenv("DISPLAY") ? getenv("DISPLAY") : "(DISPLAY unset)");
        return 2;
    }
    net_wm_pid = XInternAtom(d, "_NET_WM_PID", False);
    wm_protocols = XInternAtom(d, "WM_PROTOCOLS", False);
    wm_delete = XInternAtom(d, "WM_DELETE_WINDOW", False);
    int sent = ask(d, DefaultRootWindow(d), pid);
    XSync(d, False);
    XCloseDisplay(d);
    printf("%d\n", sent);
    return sent > 0 ? 0 : 1;
}
