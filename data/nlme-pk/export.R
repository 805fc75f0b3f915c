# Regenerate the CSV files of this directory from the R package nlme
# (Debian: apt-get install r-cran-nlme).  Run from this directory:
#   Rscript export.R
# Factors are written as their labels; NA as an empty field.
suppressMessages(library(nlme))
for (n in c("Remifentanil", "Quinidine", "Phenobarb")) {
    d <- as.data.frame(get(n))
    for (c in names(d)) if (is.factor(d[[c]])) d[[c]] <- as.character(d[[c]])
    write.csv(d, paste0(tolower(n), ".csv"), row.names = FALSE, na = "")
}
cat("nlme", as.character(packageVersion("nlme")), "\n")
