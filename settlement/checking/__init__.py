"""Reading and checking an uploaded claims file (spec/claims-upload.md): the columns, the limits read
before the file is, the set-based format checks and the words of each error."""
