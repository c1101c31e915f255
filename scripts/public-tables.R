# public-tables.R: rebuilds data/{diamonds,ames,lending_club}.csv and their domain JSON from the R data
# packages that Debian ships (docs/data.md "Bundled public tables"). Usage (Debian 12):
#   mkdir /tmp/rdata && cd /tmp/rdata && apt-get download r-cran-ggplot2 r-cran-modeldata
#   for f in *.deb; do dpkg -x "$f" x; done      # needs r-base-core to run this script
#   R_LIBS=/tmp/rdata/x/usr/lib/R/site-library Rscript scripts/public-tables.R data/
# Coding rule (the same for every table, nothing tuned per table): factors, ordered factors and
# columns with at most 32 distinct values get one code per value (factor level order, else sorted);
# other numeric columns get up to 32 equal-frequency bins (breaks at the data's quantiles, ties
# merged; when one value holds nearly all rows, the 31 smallest values get a code each and the
# rest share the 32nd); a missing value gets the last code of its column.
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) > 0) args[1] else "data"
MAX_CODES <- 32

code_column <- function(x) {
  na <- is.na(x)
  if (is.factor(x)) {
    codes <- as.integer(droplevels(x)) - 1L
    size <- nlevels(droplevels(x))
  } else {
    values <- sort(unique(x[!na]))
    if (length(values) <= MAX_CODES) {
      codes <- match(x, values) - 1L
      size <- length(values)
    } else {
      breaks <- unique(quantile(x[!na], probs = seq(0, 1, length.out = MAX_CODES + 1), names = FALSE, type = 7))
      if (length(breaks) >= 3) {
        codes <- findInterval(x, breaks, rightmost.closed = TRUE, all.inside = TRUE) - 1L
        size <- length(breaks) - 1L
      } else {
        # One value holds nearly every row: the smallest values get a code each, the rest share the last.
        codes <- pmin(match(x, values), MAX_CODES) - 1L
        size <- MAX_CODES
      }
    }
  }
  if (any(na)) {
    codes[na] <- size
    size <- size + 1L
  }
  list(codes = as.integer(codes), size = as.integer(size))
}

write_table <- function(d, name) {
  coded <- lapply(d, code_column)
  codes <- as.data.frame(lapply(coded, `[[`, "codes"), check.names = FALSE)
  names(codes) <- names(d)
  write.csv(codes, file.path(out, paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
  sizes <- sapply(coded, `[[`, "size")
  json <- paste0("{", paste0('"', names(d), '": ', sizes, collapse = ", "), "}\n")
  cat(json, file = file.path(out, paste0(name, "-domain.json")))
  cat(name, nrow(codes), "rows", ncol(codes), "columns, sizes", sizes, "\n")
}

load_data <- function(pkg, name) {
  e <- new.env()
  data(list = name, package = pkg, envir = e)
  as.data.frame(get(name, envir = e))
}

write_table(load_data("ggplot2", "diamonds"), "diamonds")
write_table(load_data("modeldata", "lending_club"), "lending_club")
write_table(load_data("modeldata", "ames"), "ames")
