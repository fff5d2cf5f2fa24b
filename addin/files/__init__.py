"""The filesystem edge: durable writes every writer uses (books, drafts, letters, journals)."""
