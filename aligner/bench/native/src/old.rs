//! The previous system's aligner, rebuilt on the `similar` crate it was based on: a unit-cost Myers
//! diff of items against elements (a pair is "equal" when the table marks it Canonical or Accepted),
//! then each block of deletions and insertions (similar's `Replace` hook) is paired front to front
//! into substitutions; what is left over stays deleted or inserted. Not a weighted alignment.

use similar::algorithms::{myers, DiffHook, Replace};
use std::convert::Infallible;
use std::ops::Index;

const KIND_OTHER: u8 = 2;
const OP_DELETE: u8 = 3;
const OP_INSERT: u8 = 4;

/// One item's row of pair kinds (`kind[item * elements ..][..elements]`).
pub struct ExpectedItem<'a> {
    kinds: &'a [u8],
}

/// similar compares `new[j] == old[i]`: an element id "equals" an item it is canonical or accepted for.
impl PartialEq<ExpectedItem<'_>> for u32 {
    #[inline]
    fn eq(&self, item: &ExpectedItem<'_>) -> bool {
        item.kinds[*self as usize] != KIND_OTHER
    }
}

/// A phrase's items as similar sees them: index i is the kind row of item `ids[i]`.
struct Items<'a, 'b> {
    ids: &'b [u32],
    rows: &'b [ExpectedItem<'a>],
}

impl<'a> Index<usize> for Items<'a, '_> {
    type Output = ExpectedItem<'a>;
    #[inline]
    fn index(&self, i: usize) -> &ExpectedItem<'a> {
        &self.rows[self.ids[i] as usize]
    }
}

/// An edit path in path order, as the addon returns it (ops are EditOp values).
#[derive(Default, Clone, PartialEq, Debug)]
pub struct Path {
    pub ops: Vec<u8>,
    pub ref_index: Vec<i32>,
    pub hyp_index: Vec<i32>,
}

impl Path {
    fn clear(&mut self) {
        self.ops.clear();
        self.ref_index.clear();
        self.hyp_index.clear();
    }

    #[inline]
    fn push(&mut self, op: u8, r: i32, h: i32) {
        self.ops.push(op);
        self.ref_index.push(r);
        self.hyp_index.push(h);
    }
}

/// Turns similar's edit script into an item-by-item path.
struct Collect<'p, 'b> {
    r: &'b [u32],
    h: &'b [u32],
    kind: &'b [u8],
    elements: usize,
    path: &'p mut Path,
}

impl Collect<'_, '_> {
    #[inline]
    fn pair(&mut self, i: usize, j: usize) {
        let op = self.kind[self.r[i] as usize * self.elements + self.h[j] as usize];
        self.path.push(op, i as i32, j as i32);
    }
}

impl DiffHook for Collect<'_, '_> {
    type Error = Infallible;

    fn equal(&mut self, old: usize, new: usize, len: usize) -> Result<(), Infallible> {
        for k in 0..len {
            self.pair(old + k, new + k);
        }
        Ok(())
    }

    fn delete(&mut self, old: usize, old_len: usize, _new: usize) -> Result<(), Infallible> {
        for i in old..old + old_len {
            self.path.push(OP_DELETE, i as i32, -1);
        }
        Ok(())
    }

    fn insert(&mut self, _old: usize, new: usize, new_len: usize) -> Result<(), Infallible> {
        for j in new..new + new_len {
            self.path.push(OP_INSERT, -1, j as i32);
        }
        Ok(())
    }

    fn replace(&mut self, old: usize, old_len: usize, new: usize, new_len: usize) -> Result<(), Infallible> {
        let paired = old_len.min(new_len);
        for k in 0..paired {
            self.pair(old + k, new + k);
        }
        self.delete(old + paired, old_len - paired, new + paired)?;
        self.insert(old + old_len, new + paired, new_len - paired)
    }
}

/// The old aligner bound to one cost table's kinds (`kind[item * elements + element]`).
pub struct OldAligner<'a> {
    rows: Vec<ExpectedItem<'a>>,
    kind: &'a [u8],
    elements: usize,
}

impl<'a> OldAligner<'a> {
    pub fn new(items: usize, elements: usize, kind: &'a [u8]) -> Self {
        let rows = (0..items).map(|i| ExpectedItem { kinds: &kind[i * elements..(i + 1) * elements] }).collect();
        OldAligner { rows, kind, elements }
    }

    /// Aligns `r` (item ids) with `h` (element ids) into `path` (cleared first). Ids must be in range.
    pub fn align(&self, r: &[u32], h: &[u32], path: &mut Path) {
        path.clear();
        let items = Items { ids: r, rows: &self.rows };
        let collect = Collect { r, h, kind: self.kind, elements: self.elements, path };
        let Ok(()) = myers::diff(&mut Replace::new(collect), &items, 0..r.len(), h, 0..h.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 items x 4 elements: element k is canonical for item k; element 3 is accepted for item 0.
    fn kinds() -> Vec<u8> {
        let mut kind = vec![KIND_OTHER; 12];
        for i in 0..3 {
            kind[i * 4 + i] = 0;
        }
        kind[3] = 1;
        kind
    }

    #[test]
    fn equal_inputs_are_all_matches() {
        let kind = kinds();
        let old = OldAligner::new(3, 4, &kind);
        let mut p = Path::default();
        old.align(&[0, 1, 2], &[3, 1, 2], &mut p);
        assert_eq!(p.ops, vec![1, 0, 0]);
        assert_eq!(p.ref_index, vec![0, 1, 2]);
        assert_eq!(p.hyp_index, vec![0, 1, 2]);
    }

    #[test]
    fn a_deletion_next_to_an_insertion_becomes_a_substitution() {
        let kind = kinds();
        let old = OldAligner::new(3, 4, &kind);
        let mut p = Path::default();
        old.align(&[0, 1, 2], &[0, 3, 2], &mut p);
        assert_eq!(p.ops, vec![0, 2, 0]);
        assert_eq!(p.hyp_index, vec![0, 1, 2]);
    }

    #[test]
    fn leftovers_stay_deleted_or_inserted() {
        let kind = kinds();
        let old = OldAligner::new(3, 4, &kind);
        let mut p = Path::default();
        old.align(&[0, 1, 2], &[0], &mut p);
        assert_eq!(p.ops, vec![0, OP_DELETE, OP_DELETE]);
        old.align(&[], &[1, 2], &mut p);
        assert_eq!(p.ops, vec![OP_INSERT, OP_INSERT]);
    }
}
