"""The workbook port: schema mapping, readers and the lossless writer."""
