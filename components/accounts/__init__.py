"""One component per account role, composing the building blocks."""
