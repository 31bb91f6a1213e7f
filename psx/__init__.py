"""psx: command-line tool and embedded AWS runtime for Product Safety Exchange."""
