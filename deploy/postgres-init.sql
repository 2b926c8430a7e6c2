CREATE DATABASE jiesu_dispatch OWNER jiesu;
