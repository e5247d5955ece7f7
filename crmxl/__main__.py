from crmxl.cli import entry

entry()
