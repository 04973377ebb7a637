"""Small programs that tests run in separate processes (each file is a script: ``python FILE ...``)."""
