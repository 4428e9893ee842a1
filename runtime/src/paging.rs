//! Paging: every item of a paged list as one stream, whatever the API's cursor is (a page
//! number, an opaque token, a timestamp to continue before, the request itself).
//!
//! APIs page in many ways, and an OpenAPI document rarely says which, so the runtime holds
//! only the walk: a `fetch` function turns a cursor into one [`Page`] (its items and the
//! next cursor), and [`paginate`] calls it as the stream is polled, one page in flight at a
//! time, never ahead of the reader.

use std::collections::VecDeque;
use std::future::Future;

use futures_util::Stream;

/// One page of a list: its items, and the cursor of the page after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    /// The items, in the order the API returned them.
    pub items: Vec<T>,
    /// Where the next page starts; `None` when this page is the last.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// A page whose next page starts at `next`.
    pub fn new(items: Vec<T>, next: Option<C>) -> Self {
        Page { items, next }
    }

    /// The last page.
    pub fn last(items: Vec<T>) -> Self {
        Page { items, next: None }
    }
}

/// Every item of every page, starting at the cursor `first`: `fetch(cursor)` is called for
/// a page when the items already fetched have all been yielded, and the stream ends after
/// the page whose `next` is `None`.
///
/// An error from `fetch` is yielded once and ends the stream (the cursor it failed at is
/// gone; a caller that wants to resume keeps its own copy in the cursor it hands out).
///
/// ```
/// use client_runtime::paging::{Page, paginate};
/// use futures_util::TryStreamExt;
///
/// # async fn run() -> Result<(), std::io::Error> {
/// // Pages of three numbers from a page-number cursor; page 2 is the last.
/// let numbers = paginate(0u32, |page| async move {
///     let items = (page * 3..page * 3 + 3).collect();
///     Ok::<_, std::io::Error>(Page::new(items, (page < 2).then_some(page + 1)))
/// });
/// let all: Vec<u32> = numbers.try_collect().await?;
/// assert_eq!(all, (0..9).collect::<Vec<_>>());
/// # Ok(())
/// # }
/// ```
pub fn paginate<T, C, E, F, Fut>(first: C, fetch: F) -> impl Stream<Item = Result<T, E>>
where
    F: FnMut(C) -> Fut,
    Fut: Future<Output = Result<Page<T, C>, E>>,
{
    let state = Walk {
        buffer: VecDeque::new(),
        next: Some(first),
        fetch,
    };
    futures_util::stream::try_unfold(state, |mut walk| async move {
        loop {
            if let Some(item) = walk.buffer.pop_front() {
                return Ok(Some((item, walk)));
            }
            let Some(cursor) = walk.next.take() else {
                return Ok(None);
            };
            let page = (walk.fetch)(cursor).await?;
            walk.buffer.extend(page.items);
            walk.next = page.next;
        }
    })
}

/// The walk between pages.
struct Walk<T, C, F> {
    /// Items fetched but not yet yielded.
    buffer: VecDeque<T>,
    /// The next page's cursor; `None` once the last page is in.
    next: Option<C>,
    fetch: F,
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::{StreamExt, TryStreamExt};

    use super::*;

    #[tokio::test]
    async fn empty_pages_in_the_middle_are_skipped_and_the_last_page_ends_the_stream() {
        let pages = [vec![1, 2], vec![], vec![3]];
        let all: Vec<i32> = paginate(0usize, |i| {
            let items = pages[i].clone();
            async move { Ok::<_, String>(Page::new(items, (i + 1 < 3).then_some(i + 1))) }
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(all, [1, 2, 3]);
    }

    #[tokio::test]
    async fn pages_are_fetched_only_as_items_are_read() {
        let fetched = Arc::new(AtomicUsize::new(0));
        let counter = fetched.clone();
        let stream = paginate(0u32, move |page| {
            counter.fetch_add(1, Ordering::SeqCst);
            async move { Ok::<_, String>(Page::new(vec![page; 2], Some(page + 1))) }
        });
        let first_three: Vec<u32> = stream.take(3).try_collect().await.unwrap();
        assert_eq!(first_three, [0, 0, 1]);
        assert_eq!(fetched.load(Ordering::SeqCst), 2, "no page fetched ahead");
    }

    #[tokio::test]
    async fn an_error_is_yielded_once_and_ends_the_stream() {
        let results: Vec<Result<u8, String>> = paginate(0u8, |page| async move {
            match page {
                0 => Ok(Page::new(vec![7], Some(1))),
                _ => Err(format!("page {page} failed")),
            }
        })
        .collect()
        .await;
        assert_eq!(results, [Ok(7), Err("page 1 failed".to_owned())]);
    }

    #[tokio::test]
    async fn a_last_page_alone_yields_its_items() {
        let all: Vec<char> = paginate((), |()| async { Ok::<_, ()>(Page::last(vec!['a', 'b'])) })
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, ['a', 'b']);
    }
}
