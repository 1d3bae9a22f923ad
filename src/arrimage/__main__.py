from arrimage.cli import main

main()
