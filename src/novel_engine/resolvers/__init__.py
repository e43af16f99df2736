"""Request context, dataloaders and the functions the schema's fields call."""
