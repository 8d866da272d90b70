//! Stand-in for tokio: the pieces leakfix's fixes use (`sync::OnceCell`,
//! `process::Child::wait`) and a `block_on` for tests. Its futures never
//! wait on I/O, so polling them in a loop is enough.

pub mod runtime {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    pub fn block_on<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::yield_now();
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
