"""Two-way sync of the book with local vdirs (folders of .vcf files) that vdirsyncer keeps in
agreement with a CardDAV server. See docs/sync.md for the rules."""
