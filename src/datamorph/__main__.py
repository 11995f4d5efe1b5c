from datamorph.cli import main

main()
