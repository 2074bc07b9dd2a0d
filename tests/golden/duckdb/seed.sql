create or replace table "golden"."analytics"."items__model_tmp" ("id" INTEGER, "label" VARCHAR, "amount" DOUBLE, "day" DATE, "seen_at" TIMESTAMP, "active" BOOLEAN);

drop table if exists "golden"."analytics"."items";

alter table "golden"."analytics"."items__model_tmp" rename to "items";
