# forest_ranger.R TRAIN.csv TEST.csv TASK(class|reg) TREES MTRY MIN_NODE
# Prints: seconds metric (accuracy or RMSE on TEST)
suppressPackageStartupMessages(library(ranger))
a <- commandArgs(trailingOnly = TRUE)
tr <- read.csv(a[1]); te <- read.csv(a[2])
task <- a[3]
if (task == "class") { tr$y <- factor(tr$y); te$y <- factor(te$y, levels = levels(tr$y)) }
t0 <- proc.time()[["elapsed"]]
m <- ranger(y ~ ., data = tr, num.trees = as.integer(a[4]), mtry = as.integer(a[5]),
            min.node.size = as.integer(a[6]), num.threads = 1, seed = 7, verbose = FALSE)
secs <- proc.time()[["elapsed"]] - t0
p <- predict(m, te, num.threads = 1)$predictions
metric <- if (task == "class") mean(p == te$y) else sqrt(mean((p - te$y)^2))
cat(sprintf("%.3f %.6f\n", secs, metric))
