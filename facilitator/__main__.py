from facilitator.entry import main

main()
