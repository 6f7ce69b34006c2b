"""Building blocks of the platform: one ComponentResource per file, composed per account in accounts/."""
