module render
