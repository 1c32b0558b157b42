//! Flat `pageIndex`/`pageSize` paging.

use crate::config::{BelowBasePage, PageSizeOverflow};
use crate::envelope::Failure;
use crate::params::Biz;

/// The paging rules of one call.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    /// Index of the first page (0 or 1).
    pub base: u32,
    /// Size when `pageSize` is absent, zero or not a number.
    pub default_size: u32,
    /// Largest size served.
    pub max_size: u32,
    /// What a larger `pageSize` does.
    pub overflow: PageSizeOverflow,
    /// What an index below the base does.
    pub below_base: BelowBasePage,
    /// The "ignores pageIndex" fault: always the first page.
    pub ignore_page_index: bool,
}

/// The page to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    /// The page index as requested (the base when absent).
    pub index: i64,
    /// Effective page size.
    pub size: usize,
    /// First row served; `None` = an empty page.
    pub offset: Option<usize>,
    /// The fault made the index be ignored (it was not the first page).
    pub index_ignored: bool,
}

impl Paging {
    /// Reads `pageIndex`/`pageSize` from `biz`.
    pub(crate) fn read(&self, biz: &Biz) -> Result<Page, Failure> {
        let base = i64::from(self.base);
        let index = biz.int("pageIndex").unwrap_or(base);
        let size = match biz.int("pageSize") {
            Some(s) if s > 0 => s as u64,
            _ => u64::from(self.default_size),
        };
        let size = if size > u64::from(self.max_size) {
            match self.overflow {
                PageSizeOverflow::Clamp => u64::from(self.max_size),
                PageSizeOverflow::Reject => {
                    return Err(Failure::param(format!("pageSize不能大于{}", self.max_size)));
                }
            }
        } else {
            size
        } as usize;
        if self.ignore_page_index {
            return Ok(Page {
                index,
                size,
                offset: Some(0),
                index_ignored: index != base,
            });
        }
        let offset = if index < base {
            match self.below_base {
                BelowBasePage::Empty => None,
                BelowBasePage::FirstPage => Some(0),
            }
        } else {
            usize::try_from(index - base)
                .ok()
                .and_then(|p| p.checked_mul(size))
        };
        Ok(Page {
            index,
            size,
            offset,
            index_ignored: false,
        })
    }
}

impl Page {
    /// The rows of this page.
    pub(crate) fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        match self.offset {
            Some(o) if o < items.len() => &items[o..(o.saturating_add(self.size)).min(items.len())],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(base: u32) -> Paging {
        Paging {
            base,
            default_size: 50,
            max_size: 100,
            overflow: PageSizeOverflow::Clamp,
            below_base: BelowBasePage::Empty,
            ignore_page_index: false,
        }
    }

    fn read(p: Paging, biz: &str) -> Result<Page, Failure> {
        p.read(&Biz::parse(biz).unwrap())
    }

    #[test]
    fn zero_and_one_based_offsets() {
        let items: Vec<u32> = (0..7).collect();
        let p0 = read(paging(0), r#"{"pageIndex":1,"pageSize":3}"#).unwrap();
        assert_eq!(p0.slice(&items), [3, 4, 5]);
        let p1 = read(paging(1), r#"{"pageIndex":"3","pageSize":"3"}"#).unwrap();
        assert_eq!(p1.slice(&items), [6]);
        let below = read(paging(1), r#"{"pageIndex":0,"pageSize":3}"#).unwrap();
        assert!(below.slice(&items).is_empty());
        let lenient = Paging {
            below_base: BelowBasePage::FirstPage,
            ..paging(1)
        };
        assert_eq!(
            read(lenient, r#"{"pageIndex":0,"pageSize":3}"#)
                .unwrap()
                .slice(&items),
            [0, 1, 2]
        );
        assert!(
            read(paging(0), r#"{"pageIndex":3,"pageSize":3}"#)
                .unwrap()
                .slice(&items)
                .is_empty()
        );
    }

    #[test]
    fn sizes_default_clamp_or_reject() {
        assert_eq!(read(paging(0), "{}").unwrap().size, 50);
        assert_eq!(read(paging(0), r#"{"pageSize":0}"#).unwrap().size, 50);
        assert_eq!(read(paging(0), r#"{"pageSize":500}"#).unwrap().size, 100);
        let strict = Paging {
            overflow: PageSizeOverflow::Reject,
            ..paging(0)
        };
        assert_eq!(
            read(strict, r#"{"pageSize":500}"#).unwrap_err().sub_code,
            "0050030002"
        );
    }

    #[test]
    fn the_ignore_page_index_fault_serves_the_first_page() {
        let p = Paging {
            ignore_page_index: true,
            ..paging(0)
        };
        let page = read(p, r#"{"pageIndex":4,"pageSize":2}"#).unwrap();
        assert_eq!(page.slice(&[1, 2, 3]), [1, 2]);
        assert!(page.index_ignored);
    }
}
