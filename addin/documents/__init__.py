"""From a Communication to documents: rendered emails and letters, PDFs, SMS, call sheets."""
