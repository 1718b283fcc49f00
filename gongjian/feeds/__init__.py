"""Calendar feeds (ICS) of product.md §8."""
