module faultline/bench/peers/porcupine

go 1.16

require github.com/anishathalye/porcupine v0.0.0

// bench/porcupine_compare.sh points this at the Porcupine checkout it is given
// (in a copy of this directory): Porcupine's source is not kept in faultline.
replace github.com/anishathalye/porcupine => /path/to/porcupine/checkout
