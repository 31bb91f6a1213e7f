"""Dispatch: sending notice versions to platforms and tracking what each owes."""
