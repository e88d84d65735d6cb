"""What only one chapter uses: its runs, plots and self-checks, one module a chapter."""
