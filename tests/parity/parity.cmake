# filled in by the parity step
