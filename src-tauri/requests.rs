//! Requests from outside the window (the tray menu, a second launch, a `podterm://` link) on
//! their way to the UI: sent at once while the UI listens, held until it listens otherwise (a
//! window being created, a page loading).

use crate::ipc::AppRequest;
use std::sync::{Mutex, MutexGuard};

type Sink = Box<dyn Fn(AppRequest) -> bool + Send + Sync>;

#[derive(Default)]
pub struct Requests {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    held: Vec<AppRequest>,
    sink: Option<Sink>,
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Requests {
    /// Sends `r` to the UI, or holds it until the UI listens. A change notice is only sent
    /// (a UI that starts listening reads the current state anyway).
    pub fn push(&self, r: AppRequest) {
        let mut inner = lock(&self.inner);
        if let Some(sink) = &inner.sink {
            if sink(r.clone()) {
                return;
            }
            inner.sink = None;
        }
        if matches!(
            r,
            AppRequest::OpenFavourite { .. }
                | AppRequest::OpenSession { .. }
                | AppRequest::QuickOpen
        ) {
            inner.held.push(r);
        }
    }

    /// The UI listens through `sink` from now on (replacing an earlier one); held requests go
    /// out first, in order.
    pub fn listen(&self, sink: impl Fn(AppRequest) -> bool + Send + Sync + 'static) {
        let mut inner = lock(&self.inner);
        let held = std::mem::take(&mut inner.held);
        let mut rest = held.into_iter();
        for r in rest.by_ref() {
            if !sink(r.clone()) {
                inner.held.push(r);
                break;
            }
        }
        inner.held.extend(rest);
        inner.sink = Some(Box::new(sink));
    }

    /// Sends `r` only if the UI listens now (never held); false when it did not get it.
    pub fn send_now(&self, r: AppRequest) -> bool {
        let mut inner = lock(&self.inner);
        let Some(sink) = &inner.sink else {
            return false;
        };
        if sink(r) {
            return true;
        }
        inner.sink = None;
        false
    }

    /// The page went away: hold requests until a new one listens.
    pub fn stop_listening(&self) {
        lock(&self.inner).sink = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn open(name: &str) -> AppRequest {
        AppRequest::OpenFavourite { name: name.into() }
    }

    #[test]
    fn held_until_listened_then_sent_in_order() {
        let r = Requests::default();
        r.push(open("a"));
        r.push(AppRequest::FavouritesChanged);
        r.push(open("b"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        r.listen(move |x| {
            g.lock().expect("lock").push(x);
            true
        });
        r.push(open("c"));
        assert_eq!(
            *got.lock().expect("lock"),
            vec![open("a"), open("b"), open("c")]
        );
        // A sink that fails (the page is gone) is dropped; the request waits for the next.
        r.listen(|_| false);
        r.push(open("d"));
        let got2 = Arc::new(Mutex::new(Vec::new()));
        let g2 = got2.clone();
        r.listen(move |x| {
            g2.lock().expect("lock").push(x);
            true
        });
        assert_eq!(*got2.lock().expect("lock"), vec![open("d")]);
        r.stop_listening();
        r.push(open("e"));
        assert_eq!(*got2.lock().expect("lock"), vec![open("d")]);
    }
}
