//! Stand-in for tokio: the pieces leakfix's fixes and the fixture crates use
//! (`sync::OnceCell`, `process::Child::wait`, `spawn` and `JoinHandle::abort`,
//! `time::{sleep, interval}`, `runtime::Runtime`) and, for tests, `block_on`
//! and a count of the tasks still running (`runtime::live_tasks`). Each
//! spawned task runs on a thread of its own that polls it every
//! millisecond; its futures never wait on I/O, so polling is enough.

pub mod runtime {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Waker};

    pub(crate) static LIVE: AtomicUsize = AtomicUsize::new(0);

    /// Tasks spawned and not finished or aborted yet.
    pub fn live_tasks() -> usize {
        LIVE.load(Ordering::SeqCst)
    }

    pub fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }

    /// A runtime a value can own.
    #[derive(Debug)]
    pub struct Runtime {
        _private: (),
    }

    impl Runtime {
        pub fn new() -> std::io::Result<Runtime> {
            Ok(Runtime { _private: () })
        }

        pub fn block_on<F: Future>(&self, f: F) -> F::Output {
            block_on(f)
        }
    }
}

pub mod task {
    use std::future::Future;
    use std::marker::PhantomData;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Poll, Waker};

    use crate::runtime::LIVE;

    pub struct JoinHandle<T> {
        aborted: Arc<AtomicBool>,
        _output: PhantomData<fn() -> T>,
    }

    impl<T> JoinHandle<T> {
        /// The task stops at its next poll.
        pub fn abort(&self) {
            self.aborted.store(true, Ordering::SeqCst);
        }
    }

    impl<T> std::fmt::Debug for JoinHandle<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JoinHandle")
        }
    }

    pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let aborted = Arc::new(AtomicBool::new(false));
        let flag = aborted.clone();
        LIVE.fetch_add(1, Ordering::SeqCst);
        std::thread::spawn(move || {
            let mut f = pin!(future);
            let mut cx = Context::from_waker(Waker::noop());
            while !flag.load(Ordering::SeqCst) {
                if let Poll::Ready(_) = f.as_mut().poll(&mut cx) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            LIVE.fetch_sub(1, Ordering::SeqCst);
        });
        JoinHandle {
            aborted,
            _output: PhantomData,
        }
    }
}

pub use task::spawn;

pub mod time {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};

    pub struct Sleep {
        until: Instant,
    }

    impl Future for Sleep {
        type Output = ();

        fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            if Instant::now() >= self.until {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    pub fn sleep(d: Duration) -> Sleep {
        Sleep {
            until: Instant::now() + d,
        }
    }

    pub struct Interval {
        next: Instant,
        period: Duration,
    }

    /// The first tick completes at once, as tokio's does.
    pub fn interval(period: Duration) -> Interval {
        Interval {
            next: Instant::now(),
            period,
        }
    }

    impl Interval {
        pub async fn tick(&mut self) -> Instant {
            let at = self.next;
            Sleep { until: at }.await;
            self.next = at + self.period;
            at
        }
    }
}

pub mod sync {
    use std::future::Future;

    pub struct OnceCell<T> {
        inner: std::sync::OnceLock<T>,
    }

    impl<T> OnceCell<T> {
        pub const fn const_new() -> OnceCell<T> {
            OnceCell {
                inner: std::sync::OnceLock::new(),
            }
        }

        pub fn get(&self) -> Option<&T> {
            self.inner.get()
        }

        pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
        where
            F: FnOnce() -> Fut,
            Fut: Future<Output = T>,
        {
            if let Some(v) = self.inner.get() {
                return v;
            }
            let v = f().await;
            self.inner.get_or_init(|| v)
        }

        pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
        where
            F: FnOnce() -> Fut,
            Fut: Future<Output = Result<T, E>>,
        {
            if let Some(v) = self.inner.get() {
                return Ok(v);
            }
            let v = f().await?;
            Ok(self.inner.get_or_init(|| v))
        }
    }
}

pub mod process {
    use std::ffi::OsStr;
    use std::io;

    pub struct Command {
        inner: std::process::Command,
    }

    impl Command {
        pub fn new(program: impl AsRef<OsStr>) -> Command {
            Command {
                inner: std::process::Command::new(program),
            }
        }

        pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
            self.inner.arg(arg);
            self
        }

        pub fn spawn(&mut self) -> io::Result<Child> {
            Ok(Child {
                inner: self.inner.spawn()?,
            })
        }
    }

    pub struct Child {
        inner: std::process::Child,
    }

    impl Child {
        pub fn id(&self) -> Option<u32> {
            Some(self.inner.id())
        }

        pub async fn wait(&mut self) -> io::Result<std::process::ExitStatus> {
            self.inner.wait()
        }
    }
}
