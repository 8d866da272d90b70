//! Stand-in for once_cell: `sync::Lazy` and `sync::OnceCell`.

pub mod sync {
    use std::sync::Mutex;

    pub struct OnceCell<T>(std::sync::OnceLock<T>);

    impl<T> OnceCell<T> {
        pub const fn new() -> OnceCell<T> {
            OnceCell(std::sync::OnceLock::new())
        }

        pub fn get(&self) -> Option<&T> {
            self.0.get()
        }

        pub fn get_or_init(&self, f: impl FnOnce() -> T) -> &T {
            self.0.get_or_init(f)
        }
    }

    impl<T> Default for OnceCell<T> {
        fn default() -> Self {
            OnceCell::new()
        }
    }

    pub struct Lazy<T, F = fn() -> T> {
        cell: OnceCell<T>,
        init: Mutex<Option<F>>,
    }

    impl<T, F> Lazy<T, F> {
        pub const fn new(init: F) -> Lazy<T, F> {
            Lazy {
                cell: OnceCell::new(),
                init: Mutex::new(Some(init)),
            }
        }
    }

    impl<T, F: FnOnce() -> T> std::ops::Deref for Lazy<T, F> {
        type Target = T;

        fn deref(&self) -> &T {
            self.cell.get_or_init(|| {
                let f = self.init.lock().unwrap().take();
                f.expect("Lazy instance has previously been poisoned")()
            })
        }
    }
}
