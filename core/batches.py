"""Work done in batches, each its own transaction, by the beat's sweepers."""


def in_batches(claim, *, batch: int) -> int:
    """Run `claim(batch=...)` until a batch comes back short; return how many in all.
    Each batch is a transaction of its own, so a crash loses at most one batch's work."""
    done = 0
    while True:
        count = claim(batch=batch)
        done += count
        if count < batch:
            return done
