// canveg's public API in one include: read models, forcing and observations, check their
// alignment, run the model, write and read outputs, evaluate, and compute the training loss and
// its gradient, train. Link canveg_core. The field tables (outputs, forcings, parameters) are in
// canveg/fields.hpp.
#pragma once

#include "canveg/dnn.hpp"
#include "canveg/errors.hpp"
#include "canveg/fields.hpp"
#include "canveg/forcing.hpp"
#include "canveg/forcing_export.hpp"
#include "canveg/gradient.hpp"
#include "canveg/metrics.hpp"
#include "canveg/model_io.hpp"
#include "canveg/observations.hpp"
#include "canveg/output_io.hpp"
#include "canveg/parameters.hpp"
#include "canveg/run.hpp"
#include "canveg/train.hpp"
