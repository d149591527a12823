"""Files in and out, safely: arrays read with their sizes bounded before anything is allocated
(:mod:`~twolayer.io.files`), files written whole or not at all (:mod:`~twolayer.io.writing`),
and the memory checks both rely on (:mod:`~twolayer.io.memory`)."""
