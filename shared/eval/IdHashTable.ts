// IdHashTable: an open-addressing table (linear probing, typed arrays) of integer ids under 32-bit
// hashes, for distinct rows and keys held as codes elsewhere: 8 bytes a slot instead of a string per row.
//
// The table stores ids and their hashes only; the caller says whether an id's key equals the one
// looked up (comparing codes where it keeps them), so two keys with the same hash never merge.

/** Ids under 32-bit hashes; `find` asks the caller to compare keys. */
export class IdHashTable {
  private slots: Int32Array;
  private slotHash: Int32Array;
  private mask: number;
  private used = 0;

  /** A table for about `expected` ids (it grows past that). */
  constructor(expected: number) {
    let cap = 16;
    while (cap < 2 * expected) cap *= 2;
    this.slots = new Int32Array(cap).fill(-1);
    this.slotHash = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Ids stored. */
  get size(): number {
    return this.used;
  }

  /** The stored id under `hash` whose key `same` accepts, or -1. */
  find(hash: number, same: (id: number) => boolean): number {
    const h = hash | 0;
    for (let s = h & this.mask; this.slots[s] !== -1; s = (s + 1) & this.mask) {
      if (this.slotHash[s] === h && same(this.slots[s])) return this.slots[s];
    }
    return -1;
  }

  /** Stores `id` under `hash` (the caller has checked, with `find`, that its key is absent). */
  add(hash: number, id: number): void {
    if (2 * (this.used + 1) > this.slots.length) this.grow();
    this.place(hash | 0, id);
    this.used++;
  }

  private place(h: number, id: number): void {
    let s = h & this.mask;
    while (this.slots[s] !== -1) s = (s + 1) & this.mask;
    this.slots[s] = id;
    this.slotHash[s] = h;
  }

  private grow(): void {
    const { slots, slotHash } = this;
    this.slots = new Int32Array(slots.length * 2).fill(-1);
    this.slotHash = new Int32Array(slots.length * 2);
    this.mask = this.slots.length - 1;
    for (let s = 0; s < slots.length; s++) if (slots[s] !== -1) this.place(slotHash[s], slots[s]);
  }
}
