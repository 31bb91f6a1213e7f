from psx.cli import main

main()
